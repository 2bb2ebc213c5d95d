import { useQuery } from '@tanstack/react-query';
import { systemApi } from '../api';
import { queryKeys } from '../lib/queryKeys';

/** Facts about this installation (sandbox mode, ABM address); they do not change while it runs. */
export function useSystemInfo() {
  return useQuery({
    queryKey: queryKeys.system,
    queryFn: ({ signal }) => systemApi.getSystemInfo(signal),
    staleTime: Infinity,
    meta: { errorTitle: 'Could not load Orchard’s settings' },
  });
}
