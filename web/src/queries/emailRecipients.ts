import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { emailRecipientsApi } from '../api';
import type { NewEmailRecipient } from '../api/emailRecipients';
import { queryKeys } from '../lib/queryKeys';

/** Null: every recipient the user may see; a customer's id: that customer's alone. */
export function useEmailRecipients(customerId: string | null) {
  return useQuery({
    queryKey: queryKeys.emailRecipientList(customerId),
    queryFn: ({ signal }) => emailRecipientsApi.listEmailRecipients(customerId, signal),
    meta: { errorTitle: 'Could not load email recipients', silentStatuses: [404] },
  });
}

export function useAddEmailRecipient() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: NewEmailRecipient) => emailRecipientsApi.addEmailRecipient(input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.emailRecipients }),
  });
}

export function useRemoveEmailRecipient() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => emailRecipientsApi.removeEmailRecipient(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.emailRecipients }),
  });
}

export function useSendTestEmail() {
  return useMutation({ mutationFn: (to: string) => emailRecipientsApi.sendTestEmail(to) });
}
