import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DeviceService } from '../../domain/devices.js';
import { DEFAULT_PAGE_SIZE } from '../../store/paging.js';
import { ENROLLMENT_EVENT_KINDS } from '../../store/repositories/enrollment-events.js';
import { COMMAND_STATUSES, ENROLLMENT_STATES } from '../../store/schema.js';
import { requirePrincipal } from '../auth.js';
import { PageQuery, errors, nullable, pageOf, stringEnum } from '../schemas.js';

const EnrollmentState = stringEnum(ENROLLMENT_STATES);
const ProfileStatus = stringEnum(['empty', 'assigned', 'pushed', 'removed']);

export const DeviceSchema = Type.Object(
  {
    serialNumber: Type.String(),
    model: nullable(Type.String()),
    description: nullable(Type.String()),
    color: nullable(Type.String()),
    os: nullable(Type.String()),
    deviceFamily: nullable(Type.String()),
    assetTag: nullable(Type.String()),
    abmTokenId: nullable(Type.String({ description: 'null once released (its token was deleted)' })),
    customerId: nullable(Type.String()),
    customerName: nullable(Type.String()),
    siteId: nullable(Type.String()),
    siteName: nullable(Type.String()),
    serverName: nullable(Type.String({ description: 'The ABM MDM server of its token' })),
    profileStatus: nullable(ProfileStatus),
    profileUuid: nullable(Type.String()),
    profileAssignStatus: nullable(
      stringEnum(['pending', 'assigned', 'failed', 'not_accessible'], {
        description: 'Orchard’s own attempt to assign the token’s profile',
      }),
    ),
    profileAssignError: nullable(Type.String()),
    assignedAt: nullable(
      Type.String({ format: 'date-time', description: 'When it was assigned to the MDM server in ABM' }),
    ),
    assignedBy: nullable(Type.String({ description: 'Who assigned it in ABM' })),
    enrollmentState: EnrollmentState,
    removedAt: nullable(Type.String({ format: 'date-time' })),
    enrolledAt: nullable(Type.String({ format: 'date-time' })),
    udid: nullable(Type.String()),
    deviceName: nullable(Type.String({ description: 'As the device reported it' })),
    osVersion: nullable(Type.String({ description: 'As the device reported it, e.g. 18.1' })),
    buildVersion: nullable(Type.String()),
    modelName: nullable(Type.String({ description: 'e.g. iPhone, MacBook Pro' })),
    productName: nullable(Type.String({ description: 'e.g. iPhone15,2' })),
    lastSeenAt: nullable(Type.String({ format: 'date-time', description: 'Its last check-in or command poll' })),
    setupReleasedAt: nullable(
      Type.String({ format: 'date-time', description: 'When DeviceConfigured released it from Setup Assistant' }),
    ),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Device', description: 'A device assigned in Apple Business Manager to a token’s MDM server' },
);

const Scope = {
  customerId: Type.Optional(Type.String({ maxLength: 100 })),
  siteId: Type.Optional(Type.String({ maxLength: 100 })),
  abmTokenId: Type.Optional(Type.String({ maxLength: 100 })),
};

export const deviceRoutes: FastifyPluginAsyncTypebox<{ devices: DeviceService }> = async (app, { devices }) => {
  const tags = ['Devices'];
  const ref = Type.Ref('Device');

  app.get(
    '/devices',
    {
      schema: {
        tags,
        summary: 'List devices, sorted by serial number; q is a serial number prefix',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            ...Scope,
            enrollmentState: Type.Optional(EnrollmentState),
            profileStatus: Type.Optional(ProfileStatus),
            q: Type.Optional(Type.String({ maxLength: 100 })),
          }),
        ]),
        response: { 200: pageOf(ref), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor, ...query } = request.query;
      return devices.list(requirePrincipal(request), query, { limit, ...(cursor === undefined ? {} : { cursor }) });
    },
  );

  app.get(
    '/devices/summary',
    {
      schema: {
        tags,
        summary: 'Device counts by enrollment state and profile status, for a customer, site or token',
        querystring: Type.Object(Scope),
        response: {
          200: Type.Object({
            total: Type.Integer(),
            byEnrollmentState: Type.Object(Object.fromEntries(ENROLLMENT_STATES.map((s) => [s, Type.Integer()]))),
            byProfileStatus: Type.Object({
              empty: Type.Integer(),
              assigned: Type.Integer(),
              pushed: Type.Integer(),
              removed: Type.Integer(),
              unknown: Type.Integer({ description: 'Apple gave no profile status' }),
            }),
          }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => devices.summary(requirePrincipal(request), request.query),
  );

  app.get(
    '/devices/:serialNumber',
    {
      schema: {
        tags,
        summary: 'One device by serial number',
        params: Type.Object({ serialNumber: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: ref, ...errors(404) },
      },
    },
    async (request) => devices.get(requirePrincipal(request), request.params.serialNumber),
  );

  const SerialParams = Type.Object({ serialNumber: Type.String({ minLength: 1, maxLength: 100 }) });
  const Limit = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) });

  app.get(
    '/devices/:serialNumber/commands',
    {
      schema: {
        tags,
        summary: 'The device’s MDM commands, newest first, with status and error chain',
        params: SerialParams,
        querystring: Limit,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                commandUuid: Type.String(),
                requestType: Type.String({ description: 'e.g. DeviceInformation, DeviceConfigured' }),
                status: stringEnum(COMMAND_STATUSES),
                queuedBy: Type.String({ description: '"orchard" for what Orchard queued itself' }),
                queuedAt: Type.String({ format: 'date-time' }),
                sentAt: nullable(Type.String({ format: 'date-time' })),
                answeredAt: nullable(Type.String({ format: 'date-time' })),
                errorChain: nullable(
                  Type.Array(
                    Type.Object({
                      code: nullable(Type.Integer()),
                      domain: nullable(Type.String()),
                      description: nullable(Type.String()),
                    }),
                  ),
                ),
              }),
            ),
          }),
          ...errors(404),
        },
      },
    },
    async (request) => ({
      items: await devices.commands(requirePrincipal(request), request.params.serialNumber, request.query.limit ?? 100),
    }),
  );

  app.get(
    '/devices/:serialNumber/enrollment-events',
    {
      schema: {
        tags,
        summary: 'The device’s enrollment timeline, newest first, refusals and their reasons included',
        params: SerialParams,
        querystring: Limit,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                kind: stringEnum(ENROLLMENT_EVENT_KINDS),
                outcome: stringEnum(['ok', 'refused']),
                detail: nullable(Type.String()),
                createdAt: Type.String({ format: 'date-time' }),
              }),
            ),
          }),
          ...errors(404),
        },
      },
    },
    async (request) => ({
      items: await devices.enrollmentEvents(
        requirePrincipal(request),
        request.params.serialNumber,
        request.query.limit ?? 100,
      ),
    }),
  );
};
