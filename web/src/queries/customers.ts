import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { customersApi, type Customer } from '../api';
import { queryKeys } from '../lib/queryKeys';

export function useCustomerList(q: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.customerList(q),
    queryFn: ({ pageParam, signal }) => customersApi.listCustomers({ q, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    meta: { errorTitle: 'Could not load customers' },
  });
}

/** Every customer, for a multi-select and for showing a user's customers by name. */
export function useAllCustomers(options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: queryKeys.allCustomers,
    queryFn: ({ signal }) => customersApi.listAllCustomers(signal),
    enabled: options.enabled ?? true,
    meta: { errorTitle: 'Could not load customers' },
  });
}

export function useCustomer(id: string, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: queryKeys.customer(id),
    queryFn: ({ signal }) => customersApi.getCustomer(id, signal),
    enabled: options.enabled ?? true,
    meta: { errorTitle: 'Could not load the customer', silentStatuses: [404] },
  });
}

export function useCreateCustomer() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => customersApi.createCustomer(name),
    onSuccess: (customer) => {
      queryClient.setQueryData(queryKeys.customer(customer.id), customer);
      return queryClient.invalidateQueries({ queryKey: queryKeys.customerLists });
    },
  });
}

export function useRenameCustomer() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) => customersApi.renameCustomer(id, name),
    onSuccess: (customer) => {
      queryClient.setQueryData(queryKeys.customer(customer.id), customer);
      return queryClient.invalidateQueries({ queryKey: queryKeys.customerLists });
    },
  });
}

export function useDeleteCustomer() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (customer: Customer) => customersApi.deleteCustomer(customer.id),
    onSuccess: (_result, customer) => {
      queryClient.removeQueries({ queryKey: queryKeys.customer(customer.id) });
      queryClient.removeQueries({ queryKey: queryKeys.siteList(customer.id) });
      // Its email recipients go with it.
      queryClient.removeQueries({ queryKey: queryKeys.emailRecipientList(customer.id) });
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.customerLists }),
        queryClient.invalidateQueries({ queryKey: queryKeys.emailRecipients }),
      ]);
    },
  });
}
