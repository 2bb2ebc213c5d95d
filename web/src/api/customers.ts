import { apiRequest } from './client';
import type { Customer, Page } from './types';

export const PAGE_SIZE = 50;
/** The server's largest page. */
const MAX_PAGE_SIZE = 500;

export interface CustomerListParams {
  q?: string;
  cursor?: string;
  limit?: number;
}

const base = '/api/v1/customers';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;

export function listCustomers(params: CustomerListParams, signal?: AbortSignal): Promise<Page<Customer>> {
  return apiRequest<Page<Customer>>(base, {
    query: { q: params.q?.trim() || undefined, cursor: params.cursor, limit: params.limit ?? PAGE_SIZE },
    signal,
  });
}

/** Every customer the user can see, page after page: one request for up to 500 customers. */
export async function listAllCustomers(signal?: AbortSignal): Promise<Customer[]> {
  const customers: Customer[] = [];
  let cursor: string | undefined;
  do {
    const page = await listCustomers({ cursor, limit: MAX_PAGE_SIZE }, signal);
    customers.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return customers;
}

export function getCustomer(id: string, signal?: AbortSignal): Promise<Customer> {
  return apiRequest<Customer>(one(id), { signal });
}

export function createCustomer(name: string): Promise<Customer> {
  return apiRequest<Customer>(base, { method: 'POST', body: { name } });
}

export function renameCustomer(id: string, name: string): Promise<Customer> {
  return apiRequest<Customer>(one(id), { method: 'PATCH', body: { name } });
}

export function deleteCustomer(id: string): Promise<void> {
  return apiRequest<void>(one(id), { method: 'DELETE' });
}
