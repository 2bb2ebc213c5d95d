import { NotFoundError } from './errors.js';

/**
 * Who is asking. An admin sees every customer; a technician only those assigned to them.
 * The union makes "technician without a customer list" unrepresentable.
 */
export type Principal =
  | { readonly role: 'admin'; readonly userId: string | null; readonly via: 'session' | 'api_key' }
  | {
      readonly role: 'technician';
      readonly userId: string;
      readonly customerIds: readonly string[];
      readonly via: 'session' | 'api_key';
    };

/** undefined: no restriction. */
export function customerScope(principal: Principal): readonly string[] | undefined {
  return principal.role === 'admin' ? undefined : principal.customerIds;
}

export function canSeeCustomer(principal: Principal, customerId: string): boolean {
  const scope = customerScope(principal);
  return scope === undefined || scope.includes(customerId);
}

/**
 * A customer outside the technician's scope answers exactly like one that does not exist,
 * so ids cannot be probed.
 */
export function requireCustomerAccess(principal: Principal, customerId: string): void {
  if (!canSeeCustomer(principal, customerId)) throw new NotFoundError('customer', customerId);
}
