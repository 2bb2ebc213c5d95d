import fastifyMultipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import {
  MAX_TOKEN_UPLOAD_BYTES,
  SYNC_STATES,
  tokenFileTooLarge,
  type AbmTokenService,
  type AbmTokenView,
} from '../../domain/abm-tokens.js';
import { ABM_TOKEN_STATUSES } from '../../domain/abm-token-status.js';
import { DEFAULT_PAGE_SIZE } from '../../store/paging.js';
import { CURRENT_STATES } from '../../store/repositories/devices.js';
import { requirePrincipal } from '../auth.js';
import { multipartLimits, readMultipartFile } from '../multipart.js';
import { errorHandler } from '../problem.js';
import { IdParams, PageQuery, errors, nullable, pageOf, stringEnum } from '../schemas.js';

const StatusSchema = stringEnum(ABM_TOKEN_STATUSES);

export const AbmTokenSchema = Type.Object(
  {
    id: Type.String(),
    customerId: Type.String(),
    customerName: Type.String(),
    siteId: Type.String(),
    siteName: Type.String(),
    status: StatusSchema,
    statusDetail: nullable(Type.String()),
    serverName: nullable(Type.String()),
    serverUuid: nullable(Type.String()),
    orgName: nullable(Type.String()),
    adminId: nullable(Type.String()),
    expiresAt: nullable(Type.String({ format: 'date-time' })),
    lastSyncAt: nullable(Type.String({ format: 'date-time' })),
    lastSyncError: nullable(Type.String()),
    deviceCount: Type.Integer({ description: 'Current devices: assigned to the MDM server and not removed from ABM' }),
    enrollmentCounts: Type.Object(Object.fromEntries(CURRENT_STATES.map((s) => [s, Type.Integer()])), {
      description: 'Those current devices by enrollment state',
    }),
    sync: Type.Object(
      {
        state: stringEnum(SYNC_STATES, {
          description:
            'waiting_for_lease: an Orchard process that stopped still holds the sync; it starts once the lease runs out (leaseExpiresAt)',
        }),
        pages: Type.Integer(),
        devices: Type.Integer(),
        startedAt: nullable(Type.String({ format: 'date-time' })),
        leaseExpiresAt: nullable(
          Type.String({
            format: 'date-time',
            description: 'In waiting_for_lease: when the lease left behind runs out',
          }),
        ),
      },
      { description: 'The running sync’s progress (pages and devices so far), else the last run’s counts' },
    ),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'AbmToken', description: 'An ABM server token. Never carries a key or credential.' },
);

/** The API's view of a token: facts and status, never a secret (the schema drops anything else). */
function toJson(view: AbmTokenView) {
  const t = view.token;
  const connected = t.state === 'connected' ? t : undefined;
  return {
    id: t.id,
    customerId: t.customerId,
    customerName: t.customerName,
    siteId: t.siteId,
    siteName: t.siteName,
    status: view.status,
    statusDetail: view.detail,
    serverName: connected?.server.name ?? null,
    serverUuid: connected?.server.uuid ?? null,
    orgName: connected?.server.orgName ?? null,
    adminId: connected?.server.adminId ?? null,
    expiresAt: connected?.expiresAt ?? null,
    lastSyncAt: t.lastSyncAt,
    lastSyncError: t.lastSyncError,
    deviceCount: view.deviceCount,
    enrollmentCounts: view.enrollmentCounts,
    sync: view.sync,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

const Placement = Type.Object(
  { customerId: Type.String({ minLength: 1, maxLength: 100 }), siteId: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

/** RFC 6266: an ASCII fallback plus the exact name, so every browser saves the same file. */
function attachment(filename: string): string {
  return `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export const abmTokenRoutes: FastifyPluginAsyncTypebox<{ abmTokens: AbmTokenService }> = async (app, { abmTokens }) => {
  const tags = ['ABM tokens'];
  const ref = Type.Ref('AbmToken');

  app.get(
    '/abm-tokens',
    {
      schema: {
        tags,
        summary:
          'List ABM tokens, optionally of one customer or site, in keyset pages sorted by customer name, site name, then creation',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            customerId: Type.Optional(Type.String({ maxLength: 100 })),
            siteId: Type.Optional(Type.String({ maxLength: 100 })),
          }),
        ]),
        response: { 200: pageOf(ref), ...errors(400) },
      },
    },
    async (request) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor, customerId, siteId } = request.query;
      const page = await abmTokens.list(requirePrincipal(request), { customerId, siteId }, { limit, cursor });
      const items = page.items.map(toJson);
      return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/abm-tokens',
    {
      schema: {
        tags,
        summary: 'Start a token for a Customer and Site: makes its key pair; status awaiting_token',
        body: Placement,
        response: { 201: ref, ...errors(400, 404) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(toJson(await abmTokens.create(requirePrincipal(request), request.body.customerId, request.body.siteId))),
  );

  app.get(
    '/abm-tokens/:id',
    { schema: { tags, summary: 'Get one ABM token', params: IdParams, response: { 200: ref, ...errors(404) } } },
    async (request) => toJson(await abmTokens.get(requirePrincipal(request), request.params.id)),
  );

  app.patch(
    '/abm-tokens/:id',
    {
      schema: {
        tags,
        summary: 'Move a token to another Customer and Site',
        params: IdParams,
        body: Placement,
        response: { 200: ref, ...errors(400, 404) },
      },
    },
    async (request) =>
      toJson(
        await abmTokens.move(
          requirePrincipal(request),
          request.params.id,
          request.body.customerId,
          request.body.siteId,
        ),
      ),
  );

  app.delete(
    '/abm-tokens/:id',
    {
      schema: {
        tags,
        summary: 'Delete a token: its key pairs and Apple credentials are destroyed',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      await abmTokens.delete(requirePrincipal(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/abm-tokens/:id/public-key',
    {
      schema: {
        tags,
        summary: 'Download the public key (PEM certificate) to upload to the MDM server in Apple Business Manager',
        params: IdParams,
        response: { 200: Type.String({ description: 'PEM certificate' }), ...errors(404) },
      },
    },
    async (request, reply) => {
      const { pem, filename } = await abmTokens.publicKey(requirePrincipal(request), request.params.id);
      return reply.type('application/x-pem-file').header('content-disposition', attachment(filename)).send(pem);
    },
  );

  app.post(
    '/abm-tokens/:id/public-key',
    {
      schema: {
        tags,
        summary:
          'Make a new key pair for "Replace Certificate" in ABM; the current one keeps working until a token for the new one is uploaded',
        params: IdParams,
        response: { 201: ref, ...errors(404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(toJson(await abmTokens.stageNewKey(requirePrincipal(request), request.params.id))),
  );

  app.post(
    '/abm-tokens/:id/sync',
    {
      schema: {
        tags,
        summary: 'Sync this token’s devices with Apple now ("Sync now"); it runs in the background',
        params: IdParams,
        response: { 202: ref, ...errors(404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(toJson(await abmTokens.requestSync(requirePrincipal(request), request.params.id))),
  );

  await app.register(tokenUploadRoute, { abmTokens });
};

/**
 * The token file arrives as the raw body (any content type: browsers and curl label a .p7m
 * in many ways) or as multipart field `token`. Its own scope, so the catch-all body parser
 * applies to this route only.
 */
const tokenUploadRoute: FastifyPluginAsyncTypebox<{ abmTokens: AbmTokenService }> = async (app, { abmTokens }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_TOKEN_UPLOAD_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  await app.register(fastifyMultipart, { limits: multipartLimits(MAX_TOKEN_UPLOAD_BYTES) });

  app.put(
    '/abm-tokens/:id/token',
    {
      bodyLimit: MAX_TOKEN_UPLOAD_BYTES,
      // Fastify refuses an oversized body before the handler runs; say it the way the domain would.
      errorHandler: (error: FastifyError, request, reply) =>
        errorHandler(
          error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'FST_REQ_FILE_TOO_LARGE'
            ? tokenFileTooLarge(Number(request.headers['content-length'] ?? MAX_TOKEN_UPLOAD_BYTES + 1))
            : error,
          request,
          reply,
        ),
      schema: {
        tags: ['ABM tokens'],
        summary:
          'Upload the token file (.p7m) from Apple Business Manager: raw body, or multipart field "token". On a connected token this renews it.',
        params: IdParams,
        response: { 200: Type.Ref('AbmToken'), ...errors(400, 404, 409, 413) },
      },
    },
    async (request) =>
      toJson(await abmTokens.upload(requirePrincipal(request), request.params.id, await tokenFile(request))),
  );
};

async function tokenFile(request: FastifyRequest): Promise<Buffer> {
  if (!request.isMultipart()) return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  return readMultipartFile(request, 'token');
}
