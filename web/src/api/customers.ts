import { apiRequest } from './client';
import type { Customer, Page } from './types';

export const PAGE_SIZE = 50;

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
