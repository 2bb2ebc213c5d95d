import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { abmTokensApi, type AbmToken, type AbmTokenFilters, type EnrollmentProfileInput } from '../api';
import { queryKeys } from '../lib/queryKeys';

/** While a sync runs its progress is polled this often; otherwise statuses change slowly (expiry, health checks). */
const SYNC_POLL_MS = 2_000;
const IDLE_POLL_MS = 30_000;

/** Queued, running, or about to run once a stopped process's lease runs out. */
export function isSyncing(token: AbmToken): boolean {
  // Tolerates a token without `sync` (a server older than the Devices feature).
  const state = (token.sync as AbmToken['sync'] | undefined)?.state;
  return state === 'queued' || state === 'running' || state === 'waiting_for_lease';
}

export function useAbmTokenList(filters: AbmTokenFilters, options: { enabled?: boolean } = {}) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: queryKeys.abmTokenList(filters),
    queryFn: ({ signal }) => abmTokensApi.listAbmTokens(filters, signal),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
    refetchInterval: (q) => (q.state.data?.some(isSyncing) ? SYNC_POLL_MS : IDLE_POLL_MS),
    meta: { errorTitle: 'Could not load ABM tokens' },
  });

  // A sync that just finished changed devices and counts: refresh every device view.
  const syncing = useRef<ReadonlySet<string>>(new Set());
  const tokens = query.data;
  useEffect(() => {
    if (!tokens) return;
    const now = new Set(tokens.filter(isSyncing).map((token) => token.id));
    const finished = [...syncing.current].some((id) => !now.has(id));
    syncing.current = now;
    if (finished) void queryClient.invalidateQueries({ queryKey: queryKeys.devices });
  }, [tokens, queryClient]);

  return query;
}

export function useAbmToken(id: string | null) {
  return useQuery({
    queryKey: queryKeys.abmToken(id ?? ''),
    queryFn: ({ signal }) => abmTokensApi.getAbmToken(id ?? '', signal),
    enabled: Boolean(id),
    meta: { errorTitle: 'Could not load the ABM token', silentStatuses: [404] },
  });
}

/** A token changed: store the new copy and refresh every list (statuses, counts, customers and sites). */
function storeToken(queryClient: QueryClient, token: AbmToken) {
  queryClient.setQueryData(queryKeys.abmToken(token.id), token);
  // Show the new copy in the lists at once (a sync's spinner), before they are fetched again.
  queryClient.setQueriesData<AbmToken[]>({ queryKey: queryKeys.abmTokenLists }, (list) =>
    list?.map((item) => (item.id === token.id ? token : item)),
  );
  return queryClient.invalidateQueries({ queryKey: queryKeys.abmTokenLists });
}

/** Moving or deleting a token moves or releases its devices. */
function refreshDevices(queryClient: QueryClient) {
  return queryClient.invalidateQueries({ queryKey: queryKeys.devices });
}

export function useCreateAbmToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ customerId, siteId }: { customerId: string; siteId: string }) =>
      abmTokensApi.createAbmToken(customerId, siteId),
    onSuccess: (token) => storeToken(queryClient, token),
  });
}

export function useMoveAbmToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, customerId, siteId }: { id: string; customerId: string; siteId: string }) =>
      abmTokensApi.moveAbmToken(id, customerId, siteId),
    onSuccess: (token) => Promise.all([storeToken(queryClient, token), refreshDevices(queryClient)]),
  });
}

export function useUploadServerToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, file }: { id: string; file: Blob }) => abmTokensApi.uploadServerToken(id, file),
    onSuccess: (token) => storeToken(queryClient, token),
  });
}

export function useDeleteAbmToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: AbmToken) => abmTokensApi.deleteAbmToken(token.id),
    onSuccess: (_result, token) => {
      queryClient.removeQueries({ queryKey: queryKeys.abmToken(token.id) });
      queryClient.removeQueries({ queryKey: queryKeys.enrollmentProfile(token.id) });
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.abmTokenLists }),
        refreshDevices(queryClient),
      ]);
    },
  });
}

/** "Sync now": the answer is the token with its sync queued or running, which the lists then poll. */
export function useSyncAbmToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: AbmToken) => abmTokensApi.syncAbmToken(token.id),
    onSuccess: (token) => storeToken(queryClient, token),
  });
}

export function useEnrollmentProfile(tokenId: string) {
  return useQuery({
    queryKey: queryKeys.enrollmentProfile(tokenId),
    queryFn: ({ signal }) => abmTokensApi.getEnrollmentProfile(tokenId, signal),
    // The form shows what is saved now, not a copy from earlier.
    staleTime: 0,
    meta: { errorTitle: 'Could not load the enrollment profile', silentStatuses: [404, 409] },
  });
}

/** Saving re-assigns the profile to the token's devices: their profile statuses change. */
export function useSaveEnrollmentProfile(tokenId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (profile: EnrollmentProfileInput) => abmTokensApi.saveEnrollmentProfile(tokenId, profile),
    onSuccess: (profile) => {
      if (profile) queryClient.setQueryData(queryKeys.enrollmentProfile(tokenId), profile);
      else void queryClient.invalidateQueries({ queryKey: queryKeys.enrollmentProfile(tokenId) });
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.abmTokenLists }),
        refreshDevices(queryClient),
      ]);
    },
  });
}
