import { apiRequest } from './client';
import { PAGE_SIZE } from './customers';
import type { Device, DeviceCommand, DeviceFilters, DeviceScope, DeviceSummary, EnrollmentEvent, Page } from './types';

const base = '/api/v1/devices';

/** Serial numbers are upper case in Apple Business Manager; the search is a prefix of one. */
export function normalizeSerialQuery(q: string | undefined): string | undefined {
  const value = q?.trim().toUpperCase();
  return value ? value : undefined;
}

export function listDevices(
  filters: DeviceFilters,
  params: { cursor?: string; limit?: number },
  signal?: AbortSignal,
): Promise<Page<Device>> {
  return apiRequest<Page<Device>>(base, {
    query: {
      customerId: filters.customerId,
      siteId: filters.siteId,
      abmTokenId: filters.abmTokenId,
      enrollmentState: filters.enrollmentState,
      profileStatus: filters.profileStatus,
      q: normalizeSerialQuery(filters.q),
      cursor: params.cursor,
      limit: params.limit ?? PAGE_SIZE,
    },
    signal,
  });
}

export function getDeviceSummary(scope: DeviceScope, signal?: AbortSignal): Promise<DeviceSummary> {
  return apiRequest<DeviceSummary>(`${base}/summary`, {
    query: { customerId: scope.customerId, siteId: scope.siteId, abmTokenId: scope.abmTokenId },
    signal,
  });
}

export function getDevice(serialNumber: string, signal?: AbortSignal): Promise<Device> {
  return apiRequest<Device>(`${base}/${encodeURIComponent(serialNumber)}`, { signal });
}

/** The device's MDM commands, newest first. */
export async function listDeviceCommands(
  serialNumber: string,
  limit: number,
  signal?: AbortSignal,
): Promise<DeviceCommand[]> {
  const page = await apiRequest<{ items: DeviceCommand[] }>(`${base}/${encodeURIComponent(serialNumber)}/commands`, {
    query: { limit },
    signal,
  });
  return page.items;
}

/** The device's enrollment timeline, newest first, refusals included. */
export async function listEnrollmentEvents(
  serialNumber: string,
  limit: number,
  signal?: AbortSignal,
): Promise<EnrollmentEvent[]> {
  const page = await apiRequest<{ items: EnrollmentEvent[] }>(
    `${base}/${encodeURIComponent(serialNumber)}/enrollment-events`,
    { query: { limit }, signal },
  );
  return page.items;
}
