import type { AbmTokenFilters } from '../api';

export const queryKeys = {
  customers: ['customers'] as const,
  customerLists: ['customers', 'list'] as const,
  customerList: (q: string) => ['customers', 'list', { q }] as const,
  customer: (id: string) => ['customers', 'detail', id] as const,
  sites: ['sites'] as const,
  siteList: (customerId: string) => ['sites', 'list', customerId] as const,
  abmTokens: ['abm-tokens'] as const,
  abmTokenLists: ['abm-tokens', 'list'] as const,
  abmTokenList: (filters: AbmTokenFilters) =>
    ['abm-tokens', 'list', { customerId: filters.customerId ?? '', siteId: filters.siteId ?? '' }] as const,
  abmToken: (id: string) => ['abm-tokens', 'detail', id] as const,
  system: ['system'] as const,
};
