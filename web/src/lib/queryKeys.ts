import type { AbmTokenFilters, AuditEventFilters, DeviceFilters, DeviceScope } from '../api';

export const queryKeys = {
  customers: ['customers'] as const,
  customerLists: ['customers', 'list'] as const,
  customerList: (q: string) => ['customers', 'list', { q }] as const,
  /** Every customer at once, for pickers and name lookups (under customerLists, so changes refresh it). */
  allCustomers: ['customers', 'list', 'all'] as const,
  customer: (id: string) => ['customers', 'detail', id] as const,
  sites: ['sites'] as const,
  siteList: (customerId: string) => ['sites', 'list', customerId] as const,
  abmTokens: ['abm-tokens'] as const,
  abmTokenLists: ['abm-tokens', 'list'] as const,
  abmTokenList: (filters: AbmTokenFilters) =>
    ['abm-tokens', 'list', { customerId: filters.customerId ?? '', siteId: filters.siteId ?? '' }] as const,
  abmToken: (id: string) => ['abm-tokens', 'detail', id] as const,
  enrollmentProfile: (tokenId: string) => ['abm-tokens', 'enrollment-profile', tokenId] as const,
  /** Everything about devices: lists, summaries, single devices. */
  devices: ['devices'] as const,
  deviceList: (filters: DeviceFilters) =>
    [
      'devices',
      'list',
      {
        customerId: filters.customerId ?? '',
        siteId: filters.siteId ?? '',
        abmTokenId: filters.abmTokenId ?? '',
        enrollmentState: filters.enrollmentState ?? '',
        profileStatus: filters.profileStatus ?? '',
        q: filters.q ?? '',
      },
    ] as const,
  deviceSummary: (scope: DeviceScope) =>
    [
      'devices',
      'summary',
      { customerId: scope.customerId ?? '', siteId: scope.siteId ?? '', abmTokenId: scope.abmTokenId ?? '' },
    ] as const,
  device: (serialNumber: string) => ['devices', 'detail', serialNumber] as const,
  /** Under the device's key: refreshing the device refreshes its commands and timeline too. */
  deviceCommands: (serialNumber: string) => ['devices', 'detail', serialNumber, 'commands'] as const,
  deviceEnrollmentEvents: (serialNumber: string) => ['devices', 'detail', serialNumber, 'enrollment-events'] as const,
  system: ['system'] as const,
  users: ['users'] as const,
  apiKeys: ['api-keys'] as const,
  /** The signed-in user's own sessions. */
  sessions: ['sessions'] as const,
  webhooks: ['webhooks'] as const,
  webhookList: ['webhooks', 'list'] as const,
  webhook: (id: string) => ['webhooks', 'detail', id] as const,
  /** Under the webhook's key: refreshing the webhook refreshes its deliveries too. */
  webhookDeliveries: (id: string) => ['webhooks', 'detail', id, 'deliveries'] as const,
  emailRecipients: ['email-recipients'] as const,
  /** Null: every recipient the user may see (an admin's list holds the MSP-wide ones too). */
  emailRecipientList: (customerId: string | null) =>
    ['email-recipients', 'list', { customerId: customerId ?? '' }] as const,
  auditEvents: ['audit-events'] as const,
  auditEventList: (filters: AuditEventFilters) =>
    [
      'audit-events',
      'list',
      {
        customerId: filters.customerId ?? '',
        actorUserId: filters.actorUserId ?? '',
        action: filters.action ?? '',
        from: filters.from ?? '',
        until: filters.until ?? '',
      },
    ] as const,
};
