import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AUDIT_ACTIONS, type AuditLog } from '../../domain/audit.js';
import { DEFAULT_PAGE_SIZE } from '../../store/paging.js';
import { requirePrincipal } from '../auth.js';
import { PageQuery, errors, nullable, pageOf, stringEnum } from '../schemas.js';

export const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: Type.Object({
      kind: stringEnum(['user', 'api_key', 'command_line', 'orchard'] as const, {
        description: 'orchard: a change Orchard decided itself (a token’s status, a failing sync)',
      }),
      userId: nullable(Type.String()),
      apiKeyId: nullable(Type.String()),
      label: Type.String({ description: 'Who, as it read at the time: an email, a key’s name' }),
      clientAddress: nullable(Type.String()),
    }),
    action: stringEnum(AUDIT_ACTIONS),
    target: Type.Object({ type: Type.String(), id: Type.String(), label: Type.String() }),
    customerId: nullable(Type.String()),
    siteId: nullable(Type.String()),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description: 'What changed ({field: {from, to}}), or more about it',
    }),
  },
  { $id: 'AuditEvent' },
);

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditLog }> = async (app, { audit }) => {
  app.get(
    '/audit-events',
    {
      schema: {
        tags: ['Audit log'],
        summary:
          'Who changed what, newest first. Admins see every entry; technicians and read-only users those about their customers',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            customerId: Type.Optional(Type.String({ maxLength: 100 })),
            actorUserId: Type.Optional(Type.String({ maxLength: 100 })),
            action: Type.Optional(stringEnum(AUDIT_ACTIONS)),
            from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date-time, inclusive' })),
            until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date-time, exclusive' })),
          }),
        ]),
        response: { 200: pageOf(Type.Ref('AuditEvent')), ...errors(400) },
      },
    },
    async (request) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor, ...query } = request.query;
      return audit.list(requirePrincipal(request), query, { limit, ...(cursor === undefined ? {} : { cursor }) });
    },
  );
};
