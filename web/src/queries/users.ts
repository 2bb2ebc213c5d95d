import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { usersApi, type UserAccount } from '../api';
import type { NewUser, UserChanges } from '../api/users';
import { queryKeys } from '../lib/queryKeys';

export function useUsers(options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: queryKeys.users,
    queryFn: ({ signal }) => usersApi.listUsers(signal),
    enabled: options.enabled ?? true,
    meta: { errorTitle: 'Could not load users' },
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: NewUser) => usersApi.createUser(input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users }),
  });
}

/** Disabling a user revokes its API keys too: both lists are refreshed. */
export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: string; changes: UserChanges }) => usersApi.updateUser(id, changes),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.users }),
        queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys }),
      ]),
  });
}

/** The user's API keys go with it. */
export function useDeleteUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (user: UserAccount) => usersApi.deleteUser(user.id),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.users }),
        queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys }),
      ]),
  });
}

export function useCreatePasswordReset() {
  return useMutation({ mutationFn: (user: UserAccount) => usersApi.createPasswordReset(user.id) });
}
