import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { devicesApi, type Device, type DeviceCommand, type DeviceFilters, type DeviceScope } from '../api';
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

/** The device is between its profile request and its enrollment: it changes within seconds. */
export function isEnrolling(device: Device): boolean {
  return device.enrollmentState === 'enrolling';
}

/** How many entries of a device's commands and timeline the drawer shows. */
export const DEVICE_HISTORY_LIMIT = 100;

export function useDeviceList(filters: DeviceFilters, polling: DevicePolling) {
  return useInfiniteQuery({
    queryKey: queryKeys.deviceList(filters),
    queryFn: ({ pageParam, signal }) => devicesApi.listDevices(filters, { cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (query) => {
      const pending =
        query.state.data?.pages.some((page) =>
          page.items.some((device) => isAssignmentPending(device) || isEnrolling(device)),
        ) ?? false;
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
    refetchInterval: (query) =>
      polling.busy || (query.state.data?.byEnrollmentState.enrolling ?? 0) > 0 ? BUSY_POLL_MS : IDLE_POLL_MS,
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
    refetchInterval: (query) => (query.state.data && isEnrolling(query.state.data) ? BUSY_POLL_MS : IDLE_POLL_MS),
    meta: { errorTitle: 'Could not load the device', silentStatuses: [404] },
  });
}

/** A command the device has not answered yet: its status changes at the device's next poll. */
export function isCommandPending(command: DeviceCommand): boolean {
  return command.status === 'queued' || command.status === 'sent';
}

/** The device's MDM commands, newest first; polled quickly while some await the device's answer. */
export function useDeviceCommands(serialNumber: string, options: { busy: boolean }) {
  return useQuery({
    queryKey: queryKeys.deviceCommands(serialNumber),
    queryFn: ({ signal }) => devicesApi.listDeviceCommands(serialNumber, DEVICE_HISTORY_LIMIT, signal),
    refetchInterval: (query) =>
      options.busy || (query.state.data?.some(isCommandPending) ?? false) ? BUSY_POLL_MS : IDLE_POLL_MS,
    meta: { errorTitle: 'Could not load the device’s commands', silentStatuses: [404] },
  });
}

/** The device's enrollment timeline, newest first. */
export function useEnrollmentEvents(serialNumber: string, options: { busy: boolean }) {
  return useQuery({
    queryKey: queryKeys.deviceEnrollmentEvents(serialNumber),
    queryFn: ({ signal }) => devicesApi.listEnrollmentEvents(serialNumber, DEVICE_HISTORY_LIMIT, signal),
    refetchInterval: options.busy ? BUSY_POLL_MS : IDLE_POLL_MS,
    meta: { errorTitle: 'Could not load the enrollment timeline', silentStatuses: [404] },
  });
}
