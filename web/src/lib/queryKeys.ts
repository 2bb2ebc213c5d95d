export const queryKeys = {
  customers: ['customers'] as const,
  customerLists: ['customers', 'list'] as const,
  customerList: (q: string) => ['customers', 'list', { q }] as const,
  customer: (id: string) => ['customers', 'detail', id] as const,
  sites: ['sites'] as const,
  siteList: (customerId: string) => ['sites', 'list', customerId] as const,
};
