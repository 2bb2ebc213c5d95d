import type { UserRole } from '../api';

export const ROLES: readonly UserRole[] = ['admin', 'technician', 'read_only'];

const ROLE_LABELS: Record<UserRole, string> = {
  admin: 'MSP admin',
  technician: 'Technician',
  read_only: 'Read-only',
};

/** What each role may do, as the server enforces it. */
export const ROLE_DESCRIPTIONS: Record<UserRole, string> = {
  admin: 'Everything: every customer, users and API keys.',
  technician: 'Works on its customers: sites, ABM tokens, devices. Cannot manage users.',
  read_only: 'Sees its customers and changes nothing.',
};

export function roleLabel(role: string): string {
  return ROLE_LABELS[role as UserRole] ?? role;
}

/** Technicians and read-only users see only the customers assigned to them; admins see all. */
export function hasCustomerScope(role: string): boolean {
  return role !== 'admin';
}
