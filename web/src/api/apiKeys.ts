import { apiRequest } from './client';
import type { ApiKey } from './types';

const base = '/api/v1/api-keys';

export interface NewApiKey {
  name: string;
  /** ISO date-time; absent: the key never expires. */
  expiresAt?: string;
  readOnly: boolean;
  /** Admins only: the user the key acts as. Absent: the signed-in user. */
  userId?: string;
}

/** The signed-in user's keys; an admin's list holds every key. */
export async function listApiKeys(signal?: AbortSignal): Promise<ApiKey[]> {
  const page = await apiRequest<{ items: ApiKey[] }>(base, { signal });
  return page.items;
}

/** The answer is the only place the key itself ever appears. */
export function createApiKey(input: NewApiKey): Promise<{ apiKey: ApiKey; key: string }> {
  return apiRequest(base, { method: 'POST', body: { ...input } });
}

export function revokeApiKey(id: string): Promise<void> {
  return apiRequest<void>(`${base}/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
