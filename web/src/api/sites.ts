import { apiRequest } from './client';
import { PAGE_SIZE } from './customers';
import type { Page, Site } from './types';

const sitesOf = (customerId: string) => `/api/v1/customers/${encodeURIComponent(customerId)}/sites`;
const one = (id: string) => `/api/v1/sites/${encodeURIComponent(id)}`;

export function listSites(
  customerId: string,
  params: { cursor?: string; limit?: number },
  signal?: AbortSignal,
): Promise<Page<Site>> {
  return apiRequest<Page<Site>>(sitesOf(customerId), {
    query: { cursor: params.cursor, limit: params.limit ?? PAGE_SIZE },
    signal,
  });
}

export function createSite(customerId: string, name: string): Promise<Site> {
  return apiRequest<Site>(sitesOf(customerId), { method: 'POST', body: { name } });
}

export function renameSite(id: string, name: string): Promise<Site> {
  return apiRequest<Site>(one(id), { method: 'PATCH', body: { name } });
}

export function deleteSite(id: string): Promise<void> {
  return apiRequest<void>(one(id), { method: 'DELETE' });
}
