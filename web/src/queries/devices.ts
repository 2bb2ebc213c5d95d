import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { devicesApi, type Device, type DeviceFilters, type DeviceScope } from '../api';
import { queryKeys } from '../lib/queryKeys';

/** Devices change when syncs and assignments run in the background. */
export interface DevicePolling {
  /** Poll quickly: a sync is running or profiles are being assigned. */
  busy: boolean;
}

const BUSY_POLL_MS = 3_000;
const IDLE_POLL_MS = 30_000;

/** Orchard is still assigning the token's profile to this device. */
export function isAssignmentPending(device: Device): boolean {
  return device.profileAssignStatus === 'pending';
}

export function useDeviceList(filters: DeviceFilters, polling: DevicePolling) {
  return useInfiniteQuery({
    queryKey: queryKeys.deviceList(filters),
    queryFn: ({ pageParam, signal }) => devicesApi.listDevices(filters, { cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (query) => {
      const pending = query.state.data?.pages.some((page) => page.items.some(isAssignmentPending)) ?? false;
      return polling.busy || pending ? BUSY_POLL_MS : IDLE_POLL_MS;
    },
    meta: { errorTitle: 'Could not load devices' },
  });
}

export function useDeviceSummary(scope: DeviceScope, polling: DevicePolling) {
  return useQuery({
    queryKey: queryKeys.deviceSummary(scope),
    queryFn: ({ signal }) => devicesApi.getDeviceSummary(scope, signal),
    placeholderData: keepPreviousData,
    refetchInterval: polling.busy ? BUSY_POLL_MS : IDLE_POLL_MS,
    meta: { errorTitle: 'Could not load device counts' },
  });
}

/** One device; `fromList` is shown while the fresh copy loads. */
export function useDevice(serialNumber: string | null, fromList?: Device) {
  return useQuery({
    queryKey: queryKeys.device(serialNumber ?? ''),
    queryFn: ({ signal }) => devicesApi.getDevice(serialNumber ?? '', signal),
    enabled: Boolean(serialNumber),
    placeholderData: fromList,
    meta: { errorTitle: 'Could not load the device', silentStatuses: [404] },
  });
}
