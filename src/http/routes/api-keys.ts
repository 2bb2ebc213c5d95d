import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiKeyService } from '../../domain/api-keys.js';
import { requirePrincipal } from '../auth.js';
import { IdParams, errors } from '../schemas.js';

export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ apiKeys: ApiKeyService }> = async (app, { apiKeys }) => {
  const tags = ['API keys'];

  app.get(
    '/api-keys',
    {
      schema: {
        tags,
        summary: 'API keys: your own, or every key for an admin (prefixes only, never a key)',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('ApiKey')) }), ...errors() },
      },
    },
    async (request) => ({ items: await apiKeys.list(requirePrincipal(request)) }),
  );

  app.post(
    '/api-keys',
    {
      schema: {
        tags,
        summary:
          'Create an API key acting as you (admins: as another user). The key is in this answer only: store it now',
        body: Type.Object(
          {
            name: Type.String({ maxLength: 10_000, description: 'What the key is for, e.g. "PSA sync"' }),
            expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'Absent: never expires' })),
            readOnly: Type.Optional(Type.Boolean({ description: 'true: the key can only read' })),
            userId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ apiKey: Type.Ref('ApiKey'), key: Type.String({ description: 'Shown once' }) }),
          ...errors(400, 403, 404),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await apiKeys.create(requirePrincipal(request), request.body)),
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { selfService: true },
      schema: {
        tags,
        summary: 'Revoke an API key (your own; admins: any); it stops working at once',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(requirePrincipal(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
