/**
 * The simulated DEP web service ("mdmenrollment.apple.com"), mounted at `<prefix>/dep`:
 * Apple's paths, verbs, headers, JSON shapes and error bodies (apple-protocols.md §2).
 *
 * Choices where Apple is vague, so clients are tested against the stricter reading:
 * - `limit` above 1000 is clamped to 1000 (Apple documents the maximum and returns at most
 *   that many; it does not reject), below 1 or absent means the default, 100; a limit that is
 *   not a number is MALFORMED_REQUEST_BODY.
 * - device lists in a request are capped at 1000 serials; more is MALFORMED_REQUEST_BODY.
 * - a fetch cursor is a snapshot: devices assigned after it started come through sync.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appleTime } from './clock.js';
import type { SandboxContext } from './context.js';
import type { CursorState } from './cursors.js';
import type { DepCaller } from './dep-auth.js';
import { DepError, depErrors } from './dep-errors.js';
import type { DeviceRecord, ServerDeviceOutcome } from './devices.js';
import { BodyError, jsonBody } from './http-body.js';
import { MAX_DEVICES_PER_CALL, isStringList, validateProfile } from './profile-validation.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const JSON_TYPE = 'application/json;charset=UTF8';

/** The endpoints `/account` advertises, with Apple's paging limits. */
const ENDPOINTS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['/session', ['GET']],
  ['/account', ['GET']],
  ['/server/devices', ['POST']],
  ['/devices/sync', ['POST']],
  ['/devices', ['POST']],
  ['/devices/disown', ['POST']],
  ['/profile', ['POST', 'GET']],
  ['/profile/devices', ['POST', 'PUT', 'DELETE']],
  ['/device/activationlock', ['POST']],
];

export async function depRoutes(app: FastifyInstance, ctx: SandboxContext): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof DepError) return sendDepError(reply, error);
    if (error instanceof BodyError) return sendDepError(reply, depErrors.malformedBody());
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendDepError(
        reply,
        status === 413 ? new DepError(413, 'REQUEST_ENTITY_TOO_LARGE') : depErrors.malformedBody(),
      );
    }
    request.log.error({ err: error }, 'sandbox DEP route failed');
    return sendDepError(reply, new DepError(500, 'INTERNAL_SERVER_ERROR'));
  });
  app.setNotFoundHandler((_request, reply) => sendDepError(reply, depErrors.notFound()));
  // Header checks come first on every call, /session included, as Apple's front end does.
  app.addHook('preHandler', async (request) => ctx.auth.checkHeaders(request));

  app.get('/session', async (request, reply) => {
    const gate = await ctx.auth.openSession(request, reply);
    if (!gate.ok) return reply;
    return sendJson(reply, { auth_session_token: gate.value.token });
  });

  /** Wraps a handler that needs an authenticated caller and answers JSON. */
  const authed =
    (handler: (caller: DepCaller, request: FastifyRequest) => unknown) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const gate = await ctx.auth.caller(request, reply);
      if (!gate.ok) return reply;
      return sendJson(reply, handler(gate.value, request));
    };

  app.get(
    '/account',
    authed(({ server, token }) => {
      const org = ctx.organization.organization;
      return {
        server_name: server.name,
        server_uuid: server.serverUuid,
        admin_id: token.adminId,
        facilitator_id: token.adminId,
        org_name: org.orgName,
        org_email: org.orgEmail,
        org_phone: org.orgPhone,
        org_address: org.orgAddress,
        org_id: org.orgId,
        org_id_hash: org.orgIdHash,
        org_type: 'org',
        org_version: 'v2',
        urls: ENDPOINTS.map(([uri, methods]) => ({
          uri,
          http_method: methods,
          limit: { default: DEFAULT_LIMIT, maximum: MAX_LIMIT },
        })),
      };
    }),
  );

  app.post(
    '/server/devices',
    authed(({ server }, request) => {
      const body = objectBody(request.body) ?? {};
      const limit = readLimit(body['limit']);
      const now = ctx.clock.nowMs();
      let position: { seq: number; afterSerial: string };
      const cursorText = body['cursor'];
      if (cursorText === undefined || cursorText === null || cursorText === '') {
        // No cursor: a new snapshot of the devices assigned right now.
        position = { seq: ctx.devices.currentSeq(), afterSerial: '' };
      } else {
        const cursor = readCursor(ctx, cursorText, server.id, now);
        // Apple: a cursor that has returned everything cannot fetch again; sync with it.
        if (cursor.phase === 'sync') throw depErrors.exhaustedCursor();
        position = { seq: cursor.seq, afterSerial: cursor.afterSerial };
      }
      const page = ctx.devices.fetchPage(server.id, position.seq, position.afterSerial, limit);
      const last = page.devices.at(-1);
      const next: CursorState = page.more
        ? {
            phase: 'fetch',
            serverId: server.id,
            seq: position.seq,
            afterSerial: last?.serial ?? position.afterSerial,
            issuedAt: now,
          }
        : { phase: 'sync', serverId: server.id, seq: position.seq, issuedAt: now };
      return {
        cursor: ctx.cursors.encode(next),
        devices: page.devices.map((device) => appleDevice(device, server.id)),
        fetched_until: appleTime(now),
        more_to_follow: page.more,
      };
    }),
  );

  app.post(
    '/devices/sync',
    authed(({ server }, request) => {
      const body = objectBody(request.body) ?? {};
      const cursorText = body['cursor'];
      if (cursorText === undefined || cursorText === null || cursorText === '') throw depErrors.cursorRequired();
      const limit = readLimit(body['limit']);
      const now = ctx.clock.nowMs();
      const cursor = readCursor(ctx, cursorText, server.id, now);
      const page = ctx.devices.syncPage(server.id, cursor.seq, limit);
      const lastSeq = page.changes.at(-1)?.seq ?? cursor.seq;
      return {
        cursor: ctx.cursors.encode({ phase: 'sync', serverId: server.id, seq: lastSeq, issuedAt: now }),
        devices: page.changes.map((change) => {
          const base =
            change.device === undefined
              ? { serial_number: change.serial }
              : change.opType === 'deleted'
                ? deviceAttributes(change.device)
                : appleDevice(change.device, server.id);
          return { ...base, op_type: change.opType, op_date: appleTime(change.opDate) };
        }),
        fetched_until: appleTime(now),
        more_to_follow: page.more,
      };
    }),
  );

  app.post(
    '/devices',
    authed(({ server }, request) => {
      const serials = deviceList(objectBody(request.body)?.['devices']);
      const devices: Record<string, unknown> = {};
      for (const serial of serials) {
        const device = ctx.devices.get(serial);
        devices[serial] =
          device !== undefined && device.serverId === server.id
            ? { ...appleDevice(device, server.id), response_status: 'SUCCESS' }
            : { response_status: 'NOT_ACCESSIBLE' };
      }
      return { devices };
    }),
  );

  app.post(
    '/devices/disown',
    authed(({ server }, request) => {
      const serials = deviceList(objectBody(request.body)?.['devices']);
      return { devices: statusObject(ctx.devices.disown(server.id, serials, ctx.clock.nowMs())) };
    }),
  );

  app.post(
    '/profile',
    authed(({ server }, request) => {
      const { settings, devices } = validateProfile(objectBody(request.body));
      const now = ctx.clock.nowMs();
      const profile = ctx.profiles.create(server.id, settings, now);
      const outcomes =
        devices.length === 0 ? new Map() : ctx.devices.assignProfile(server.id, devices, profile.uuid, now);
      return { profile_uuid: profile.uuid, devices: statusObject(outcomes) };
    }),
  );

  app.get(
    '/profile',
    authed(({ server }, request) => {
      const uuid = (request.query as Record<string, unknown>)['profile_uuid'];
      if (typeof uuid !== 'string' || uuid.trim() === '') throw depErrors.profileUuidRequired();
      const profile = ctx.profiles.find(server.id, uuid.trim());
      if (profile === undefined) throw depErrors.profileNotFound();
      return { ...profile.settings, profile_uuid: profile.uuid };
    }),
  );

  const assignProfile = authed(({ server }, request) => {
    const body = objectBody(request.body);
    const uuid = body?.['profile_uuid'];
    if (typeof uuid !== 'string' || uuid.trim() === '') throw depErrors.profileUuidRequired();
    const serials = deviceList(body?.['devices']);
    const profile = ctx.profiles.find(server.id, uuid.trim());
    // A profile of another server (or none) cannot be assigned: every device FAILED.
    const devices =
      profile === undefined
        ? Object.fromEntries(serials.map((serial) => [serial, 'FAILED']))
        : statusObject(ctx.devices.assignProfile(server.id, serials, profile.uuid, ctx.clock.nowMs()));
    return { profile_uuid: uuid.trim(), devices };
  });
  app.post('/profile/devices', assignProfile);
  // Older clients (and Apple's first documentation) use PUT for the same call.
  app.put('/profile/devices', assignProfile);

  app.delete(
    '/profile/devices',
    authed(({ server }, request) => {
      const serials = deviceList(objectBody(request.body)?.['devices']);
      return { devices: statusObject(ctx.devices.removeProfile(server.id, serials, ctx.clock.nowMs())) };
    }),
  );

  app.post(
    '/device/activationlock',
    authed(({ server }, request) => {
      const serial = objectBody(request.body)?.['device'];
      if (typeof serial !== 'string' || serial.trim() === '') throw depErrors.deviceIdRequired();
      const device = ctx.devices.get(serial);
      return {
        serial_number: serial,
        response_status: device !== undefined && device.serverId === server.id ? 'SUCCESS' : 'NOT_ACCESSIBLE',
      };
    }),
  );
}

function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.code(200).header('content-type', JSON_TYPE).send(JSON.stringify(value));
}

function sendDepError(reply: FastifyReply, error: DepError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.status).header('content-type', error.contentType()).send(error.body());
}

function objectBody(body: unknown): Record<string, unknown> | undefined {
  const value = jsonBody(body);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw depErrors.malformedBody();
  return value as Record<string, unknown>;
}

function readLimit(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_LIMIT;
  const limit = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof limit !== 'number' || !Number.isFinite(limit)) throw depErrors.malformedBody();
  if (limit < 1) return DEFAULT_LIMIT;
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

function readCursor(ctx: SandboxContext, value: unknown, serverId: string, nowMs: number): CursorState {
  if (typeof value !== 'string') throw depErrors.invalidCursor();
  const check = ctx.cursors.decode(value, serverId, nowMs);
  if (!check.ok) throw check.reason === 'expired' ? depErrors.expiredCursor() : depErrors.invalidCursor();
  return check.cursor;
}

function deviceList(value: unknown): string[] {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0))
    throw depErrors.deviceIdRequired();
  if (!isStringList(value) || value.length > MAX_DEVICES_PER_CALL) throw depErrors.malformedBody();
  return value;
}

function statusObject(outcomes: ReadonlyMap<string, ServerDeviceOutcome>): Record<string, ServerDeviceOutcome> {
  return Object.fromEntries(outcomes);
}

/** What every DEP device record carries; Apple omits fields that have no value. */
function deviceAttributes(device: DeviceRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    serial_number: device.serial,
    model: device.model,
    description: device.description,
    color: device.color,
  };
  if (device.assetTag !== null) out['asset_tag'] = device.assetTag;
  out['os'] = device.os;
  out['device_family'] = device.deviceFamily;
  return out;
}

/**
 * The device as the asking server sees it. Assignment and profile fields only while the
 * device is this server's: after a move, the old server must not see the new one's profile.
 */
export function appleDevice(device: DeviceRecord, serverId: string): Record<string, unknown> {
  const out = deviceAttributes(device);
  if (device.serverId !== serverId) return out;
  out['profile_status'] = device.profileStatus;
  if (device.profileUuid !== null) out['profile_uuid'] = device.profileUuid;
  if (device.profileAssignTime !== null) out['profile_assign_time'] = appleTime(device.profileAssignTime);
  if (device.profilePushTime !== null) out['profile_push_time'] = appleTime(device.profilePushTime);
  if (device.assignedAt !== null) out['device_assigned_date'] = appleTime(device.assignedAt);
  if (device.assignedBy !== null) out['device_assigned_by'] = device.assignedBy;
  return out;
}
