import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { webhooksApi, type Webhook, type WebhookDelivery } from '../api';
import type { NewWebhook, WebhookChanges } from '../api/webhooks';
import { queryKeys } from '../lib/queryKeys';

/** Orchard looks for deliveries due every second: a delivery about to be tried is polled about as often. */
const BUSY_POLL_MS = 1_000;
const IDLE_POLL_MS = 30_000;

export function useWebhooks() {
  return useQuery({
    queryKey: queryKeys.webhookList,
    queryFn: ({ signal }) => webhooksApi.listWebhooks(signal),
    meta: { errorTitle: 'Could not load webhooks' },
  });
}

export function useWebhook(id: string) {
  return useQuery({
    queryKey: queryKeys.webhook(id),
    queryFn: ({ signal }) => webhooksApi.getWebhook(id, signal),
    meta: { errorTitle: 'Could not load the webhook', silentStatuses: [404] },
  });
}

/**
 * A delivery Orchard will still try. A disabled webhook's deliveries wait until it is enabled
 * again (`held`); only a test message is sent to it all the same.
 */
export function isAwaitingAttempt(delivery: WebhookDelivery, held: boolean): boolean {
  return delivery.state === 'pending' && !(held && delivery.eventType !== 'webhook.test');
}

/**
 * The webhook's deliveries, newest first, a page at a time. While some await an attempt the
 * list is fetched again just after the soonest is due (within a second for a new one), so a
 * test message turns Delivered or Failed on its own.
 */
export function useWebhookDeliveries(webhookId: string, options: { held: boolean }) {
  const queryClient = useQueryClient();
  const query = useInfiniteQuery({
    queryKey: queryKeys.webhookDeliveries(webhookId),
    queryFn: ({ pageParam, signal }) => webhooksApi.listDeliveries(webhookId, { cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    // Deliveries change on their own: coming back to the page always asks again.
    staleTime: 0,
    refetchInterval: (q) => {
      const due = (q.state.data?.pages ?? [])
        .flatMap((page) => page.items)
        .filter((delivery) => isAwaitingAttempt(delivery, options.held))
        .map((delivery) => Date.parse(delivery.nextAttemptAt));
      if (due.length === 0) return IDLE_POLL_MS;
      return Math.min(IDLE_POLL_MS, Math.max(BUSY_POLL_MS, Math.min(...due) - Date.now() + BUSY_POLL_MS));
    },
    meta: { errorTitle: 'Could not load the deliveries', silentStatuses: [404] },
  });

  // A delivery given up may have disabled the webhook: fetch the webhook again when one settles.
  const awaiting = useRef<ReadonlySet<string>>(new Set());
  const pages = query.data?.pages;
  useEffect(() => {
    if (!pages) return;
    const now = new Set(
      pages.flatMap((page) => page.items.filter((d) => d.state === 'pending').map((delivery) => delivery.id)),
    );
    const settled = [...awaiting.current].some((id) => !now.has(id));
    awaiting.current = now;
    if (settled) {
      void queryClient.invalidateQueries({ queryKey: queryKeys.webhook(webhookId), exact: true });
      void queryClient.invalidateQueries({ queryKey: queryKeys.webhookList });
    }
  }, [pages, webhookId, queryClient]);

  return query;
}

export function useCreateWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: NewWebhook) => webhooksApi.createWebhook(input),
    onSuccess: ({ webhook }) => {
      queryClient.setQueryData(queryKeys.webhook(webhook.id), webhook);
      return queryClient.invalidateQueries({ queryKey: queryKeys.webhookList });
    },
  });
}

/** Enabling a webhook sends the deliveries it held: they are fetched again too. */
export function useUpdateWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: string; changes: WebhookChanges }) => webhooksApi.updateWebhook(id, changes),
    onSuccess: (webhook) => {
      queryClient.setQueryData(queryKeys.webhook(webhook.id), webhook);
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.webhookList }),
        queryClient.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(webhook.id) }),
      ]);
    },
  });
}

/** Its deliveries go with it. */
export function useDeleteWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (webhook: Webhook) => webhooksApi.deleteWebhook(webhook.id),
    onSuccess: (_result, webhook) => {
      queryClient.removeQueries({ queryKey: queryKeys.webhook(webhook.id) });
      return queryClient.invalidateQueries({ queryKey: queryKeys.webhookList });
    },
  });
}

/** "Send test": the test message is queued; the deliveries, fetched again, show it and poll until it is sent. */
export function useSendTestMessage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (webhook: Webhook) => webhooksApi.sendTestMessage(webhook.id),
    onSuccess: (_delivery, webhook) =>
      queryClient.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(webhook.id) }),
  });
}
