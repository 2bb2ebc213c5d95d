import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../domain/events.js';
import type { WebhookService } from '../../domain/webhooks.js';
import { DEFAULT_PAGE_SIZE } from '../../store/paging.js';
import { requirePrincipal } from '../auth.js';
import { IdParams, PageQuery, errors, nullable, pageOf, stringEnum } from '../schemas.js';

const EventTypes = Type.Array(stringEnum(SUBSCRIBABLE_EVENT_TYPES as unknown as readonly [string, ...string[]]), {
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
});
const CustomerIds = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000 });
// The domain refuses longer with a message of its own; the schema says the same limit.
const Description = Type.String({ maxLength: 500 });

export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    description: Type.String(),
    events: Type.Array(Type.String()),
    customerIds: nullable(Type.Array(Type.String()) as never) as never,
    disabledAt: nullable(Type.String({ format: 'date-time' })),
    disabledReason: nullable(
      Type.String({ description: 'Why it was disabled (by an admin, or by Orchard after a day of failures)' }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Webhook' },
);

export const DeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'The webhook-id header of every attempt' }),
    eventId: Type.String(),
    eventType: Type.String(),
    state: stringEnum(['pending', 'delivered', 'failed'] as const),
    attempts: Type.Integer(),
    nextAttemptAt: Type.String({ format: 'date-time' }),
    giveUpAt: Type.String({ format: 'date-time' }),
    lastStatus: nullable(Type.Integer()),
    lastError: nullable(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    finishedAt: nullable(Type.String({ format: 'date-time' })),
    attemptLog: Type.Array(
      Type.Object({
        attemptedAt: Type.String({ format: 'date-time' }),
        status: nullable(Type.Integer()),
        error: nullable(Type.String()),
        durationMs: Type.Integer(),
      }),
    ),
  },
  { $id: 'WebhookDelivery' },
);

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhookService }> = async (app, { webhooks }) => {
  const tags = ['Webhooks'];

  app.get(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'Webhooks (admins)',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('Webhook')) }), ...errors(403) },
      },
    },
    async (request) => ({ items: await webhooks.list(requirePrincipal(request)) }),
  );

  app.post(
    '/webhooks',
    {
      schema: {
        tags,
        summary:
          'Add a webhook (admins). The signing secret (whsec_…) is in this answer only; messages are signed as Standard Webhooks says',
        body: Type.Object(
          {
            url: Type.String({ minLength: 1, maxLength: 2000 }),
            events: EventTypes,
            customerIds: Type.Optional(Type.Union([CustomerIds, Type.Null()])),
            description: Type.Optional(Description),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ webhook: Type.Ref('Webhook'), secret: Type.String({ description: 'Shown once' }) }),
          ...errors(400, 403),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await webhooks.create(requirePrincipal(request), request.body as never)),
  );

  app.get(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook (admins)',
        params: IdParams,
        response: { 200: Type.Ref('Webhook'), ...errors(403, 404) },
      },
    },
    async (request) => webhooks.get(requirePrincipal(request), request.params.id),
  );

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change a webhook, or enable or disable it (admins)',
        params: IdParams,
        body: Type.Object(
          {
            url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
            events: Type.Optional(EventTypes),
            customerIds: Type.Optional(Type.Union([CustomerIds, Type.Null()])),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref('Webhook'), ...errors(400, 403, 404) },
      },
    },
    async (request) => webhooks.update(requirePrincipal(request), request.params.id, request.body as never),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook and its delivery log (admins)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(requirePrincipal(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a webhook.test message to this webhook now ("Send test"); its outcome shows in the deliveries',
        params: IdParams,
        response: { 202: Type.Ref('WebhookDelivery'), ...errors(403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await webhooks.sendTest(requirePrincipal(request), request.params.id)),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'The webhook’s deliveries, newest first, each with every attempt (admins)',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: pageOf(Type.Ref('WebhookDelivery')), ...errors(403, 404) },
      },
    },
    async (request) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor } = request.query;
      return webhooks.deliveries(requirePrincipal(request), request.params.id, {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );
};
