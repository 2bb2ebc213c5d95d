import { apiRequest } from './client';
import type { PasswordLink, UserAccount, UserRole } from './types';

const base = '/api/v1/users';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;

export interface NewUser {
  email: string;
  role: UserRole;
  customerIds: string[];
  /** Absent: the user is invited, and the answer holds the link to choose a password with. */
  password?: string;
}

export interface UserChanges {
  email?: string;
  role?: UserRole;
  customerIds?: string[];
  disabled?: boolean;
}

export async function listUsers(signal?: AbortSignal): Promise<UserAccount[]> {
  const page = await apiRequest<{ items: UserAccount[] }>(base, { signal });
  return page.items;
}

export function createUser(input: NewUser): Promise<{ user: UserAccount; passwordLink?: PasswordLink }> {
  return apiRequest(base, { method: 'POST', body: { ...input } });
}

export function updateUser(id: string, changes: UserChanges): Promise<UserAccount> {
  return apiRequest<UserAccount>(one(id), { method: 'PATCH', body: { ...changes } });
}

export function deleteUser(id: string): Promise<void> {
  return apiRequest<void>(one(id), { method: 'DELETE' });
}

/** A new one-time link for the user to choose a password with; any earlier link stops working. */
export function createPasswordReset(id: string): Promise<PasswordLink> {
  return apiRequest<PasswordLink>(`${one(id)}/password-reset`, { method: 'POST' });
}
