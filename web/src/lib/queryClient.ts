import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { isApiError } from '../api';
import { notifyError } from './notify';

declare module '@tanstack/react-query' {
  interface Register {
    queryMeta: {
      /** Title of the red notification shown when this query fails. */
      errorTitle?: string;
      /** Set when the page shows the failure itself (e.g. a 404 as "not found"). */
      silentStatuses?: readonly number[];
    };
  }
}

function shouldRetry(failureCount: number, error: unknown): boolean {
  if (isApiError(error) && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError(error, query) {
        // 401 ends the session and sends the user to sign in; no toast for that.
        if (isApiError(error) && error.status === 401) return;
        if (isApiError(error) && query.meta?.silentStatuses?.includes(error.status)) return;
        notifyError(query.meta?.errorTitle ?? 'Could not load data', error);
      },
    }),
    mutationCache: new MutationCache(),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        retry: shouldRetry,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}
