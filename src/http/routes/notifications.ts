import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { NotificationService } from '../../domain/notifications.js';
import { requirePrincipal } from '../auth.js';
import { IdParams, errors, nullable } from '../schemas.js';

export const RecipientSchema = Type.Object(
  {
    id: Type.String(),
    customerId: nullable(Type.String({ description: 'null: MSP-wide, mailed about every customer' })),
    email: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'EmailRecipient' },
);

export const notificationRoutes: FastifyPluginAsyncTypebox<{ notifications: NotificationService }> = async (
  app,
  { notifications },
) => {
  const tags = ['Email reminders'];

  app.get(
    '/email-recipients',
    {
      schema: {
        tags,
        summary:
          'Who is mailed token reminders (expiring, expired, terms, rejected): MSP-wide (admins) and per customer',
        querystring: Type.Object({ customerId: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('EmailRecipient')) }), ...errors(404) },
      },
    },
    async (request) => ({
      items: await notifications.list(requirePrincipal(request), request.query.customerId),
    }),
  );

  app.post(
    '/email-recipients',
    {
      schema: {
        tags,
        summary: 'Add a recipient: MSP-wide without customerId (admins), or for one customer',
        body: Type.Object(
          {
            email: Type.String({ minLength: 1, maxLength: 320 }),
            customerId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('EmailRecipient'), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await notifications.add(requirePrincipal(request), request.body)),
  );

  app.delete(
    '/email-recipients/:id',
    {
      schema: {
        tags,
        summary: 'Stop mailing a recipient',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await notifications.remove(requirePrincipal(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/email-recipients/test',
    {
      schema: {
        tags,
        summary: '"Send test email" (admins): mails one address now through ORCHARD_SMTP_URL',
        body: Type.Object({ to: Type.String({ minLength: 1, maxLength: 320 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors(400, 403, 503) },
      },
    },
    async (request, reply) => {
      await notifications.sendTest(requirePrincipal(request), request.body.to);
      return reply.code(204).send(null);
    },
  );
};
