import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { abmTokensApi, type AbmToken, type AbmTokenFilters } from '../api';
import { queryKeys } from '../lib/queryKeys';

export function useAbmTokenList(filters: AbmTokenFilters, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: queryKeys.abmTokenList(filters),
    queryFn: ({ signal }) => abmTokensApi.listAbmTokens(filters, signal),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
    // Statuses change on their own (expiry, syncs): keep the table reasonably fresh.
    refetchInterval: 60_000,
    meta: { errorTitle: 'Could not load ABM tokens' },
  });
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
  return queryClient.invalidateQueries({ queryKey: queryKeys.abmTokenLists });
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
    onSuccess: (token) => storeToken(queryClient, token),
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
      return queryClient.invalidateQueries({ queryKey: queryKeys.abmTokenLists });
    },
  });
}
