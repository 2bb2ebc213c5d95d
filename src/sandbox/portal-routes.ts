/**
 * The ABM portal's JSON API at `<prefix>/abm/api`, driven by the portal page, tests and demos.
 * The paths in architecture.md ("Interfaces that others depend on") are a contract. Errors
 * answer `{ "code": "…", "message": "…" }` with a 4xx status.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appleTime } from './clock.js';
import type { SandboxContext } from './context.js';
import {
  DeviceGenerator,
  SERIAL_PATTERN,
  catalogModels,
  findModel,
  parseFamily,
  DEVICE_FAMILIES,
  type DeviceGeneratorOptions,
} from './device-catalog.js';
import type { DeviceRecord } from './devices.js';
import { FaultRuleError, parseFaultRules } from './faults.js';
import { BodyError, bodyText, isMultipart, jsonBody, multipartParts } from './http-body.js';
import type { PortalAccess } from './portal-access.js';
import { PORTAL_SCRIPT, PORTAL_STYLE, portalPage, signInPage } from './portal-page.js';
import { DEVICE_CA_PATH, deviceRoutes } from './device-routes.js';
import { DeviceKeyError } from './device-identities.js';
import { PortalError, bad, deviceNotFound, pushRefusal } from './portal-errors.js';
import { DuplicateServerNameError, type ServerSummary } from './servers.js';
import {
  CertificateUploadError,
  issueServerTokenFile,
  makeCredentials,
  readRecipientCertificate,
  tokenFileName,
} from './token-issuer.js';

export const MAX_DEVICES_PER_REQUEST = 1_000_000;
const MAX_SERVER_NAME = 128;

const serverNotFound = (id: string) =>
  new PortalError(404, 'MDM_SERVER_NOT_FOUND', `There is no MDM server with id ${id}.`);

/** Without `access` (the standalone sandbox) everyone may use the portal. */
export async function portalRoutes(app: FastifyInstance, ctx: SandboxContext, access?: PortalAccess): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof PortalError)
      return reply.code(error.status).send({ code: error.code, message: error.message });
    if (
      error instanceof BodyError ||
      error instanceof FaultRuleError ||
      error instanceof CertificateUploadError ||
      error instanceof DeviceKeyError
    ) {
      return reply.code(400).send({ code: codeOf(error), message: error.message });
    }
    if (error instanceof DuplicateServerNameError)
      return reply.code(409).send({ code: 'MDM_SERVER_NAME_TAKEN', message: error.message });
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.code(status).send({ code: 'BAD_REQUEST', message: (error as Error).message });
    }
    request.log.error({ err: error }, 'sandbox portal route failed');
    return reply
      .code(500)
      .send({ code: 'INTERNAL_ERROR', message: 'The sandbox hit an unexpected error; see the server log.' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: 'NOT_FOUND',
      message: `There is no ${request.method} ${request.url.split('?')[0] ?? ''} in the sandbox portal.`,
    }),
  );

  const base = app.prefix;
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    if (access === undefined) return reply.send(portalPage({ base }));
    const visitor = await access.identify(request);
    if (visitor.kind === 'refused') return reply.code(401).send(signInPage(base, access.signInUrl));
    return reply.send(portalPage({ base, csrf: visitor.csrf }));
  };
  app.get('/', page);
  // Beside the page, not inline in it, so the host's Content-Security-Policy needs no exception.
  app.get('/portal.js', (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(PORTAL_SCRIPT),
  );
  app.get('/portal.css', (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(PORTAL_STYLE),
  );

  if (access !== undefined) {
    // Every portal route but the page, its two files and the device CA certificate (public,
    // like Apple's; devices and verifiers outside Orchard need it) answers signed-in visitors
    // only: routes added later are covered without anyone remembering to.
    const open = new Set(['', '/', '/portal.js', '/portal.css', DEVICE_CA_PATH].map((path) => `${base}${path}`));
    app.addHook('onRequest', async (request) => {
      const route = request.routeOptions.url;
      if (route === undefined || open.has(route)) return;
      const visitor = await access.identify(request);
      if (visitor.kind === 'refused') throw new PortalError(visitor.status, visitor.code, visitor.message);
    });
  }

  const server = (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const found = ctx.servers.get(id);
    if (found === undefined) throw serverNotFound(id);
    return found;
  };

  app.get('/api/mdm-servers', async () => ({
    items: ctx.servers.list().map((summary) => serverJson(ctx, summary)),
    termsAccepted: ctx.organization.termsAccepted(),
    unassignedDeviceCount: ctx.devices.unassignedCount(),
  }));

  app.post('/api/mdm-servers', async (request, reply) => {
    const upload = readServerUpload(request);
    const name = (upload.name ?? '').trim();
    if (name === '') throw bad('NAME_REQUIRED', 'Enter a name for the MDM server.');
    if (name.length > MAX_SERVER_NAME)
      throw bad('NAME_TOO_LONG', `The MDM server name can have at most ${MAX_SERVER_NAME} characters.`);
    if (upload.publicKeyPem === undefined)
      throw bad('PUBLIC_KEY_REQUIRED', 'Choose the public key file (.pem) your MDM server gave you.');
    const certificate = readRecipientCertificate(upload.publicKeyPem);
    const created = ctx.servers.create(name, certificate.pem, ctx.clock.nowMs());
    return reply.code(201).send({ id: created.id, name: created.name });
  });

  app.get('/api/mdm-servers/:id', async (request) => {
    const found = server(request);
    const summary = ctx.servers.list().find((item) => item.id === found.id);
    if (summary === undefined) throw serverNotFound(found.id);
    return serverJson(ctx, summary);
  });

  app.delete('/api/mdm-servers/:id', async (request, reply) => {
    if (!ctx.servers.delete(server(request).id)) throw serverNotFound((request.params as { id: string }).id);
    return reply.code(204).send();
  });

  // "Download Token": every download issues new OAuth credentials and supersedes the last.
  // `?expiresInDays=N` (1–365, the sandbox's own) issues a token that expires sooner than
  // Apple's year, so that expiry reminders can be seen end to end.
  app.get('/api/mdm-servers/:id/token', async (request, reply) => {
    const found = server(request);
    const now = ctx.clock.nowMs();
    const days = (request.query as { expiresInDays?: string }).expiresInDays;
    if (days !== undefined && !/^(?:[1-9]\d?|[12]\d\d|3[0-5]\d|36[0-5])$/.test(days)) {
      throw bad('EXPIRES_IN_DAYS_INVALID', 'expiresInDays must be a whole number of days from 1 to 365.');
    }
    const credentials = makeCredentials(
      ctx.organization.organization.orgId,
      now,
      days === undefined ? undefined : Number(days),
    );
    const file = issueServerTokenFile(credentials, found.certificatePem);
    ctx.servers.issueToken(found.id, credentials, ctx.organization.organization.adminId, now);
    const filename = tokenFileName(found.name, now);
    return reply
      .header('content-type', 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"')
      .header('content-disposition', contentDisposition(filename))
      .header('cache-control', 'no-store')
      .send(file);
  });

  // "Replace Certificate" (MDM Server Settings › Edit): the next download uses the new one.
  app.put('/api/mdm-servers/:id/certificate', async (request) => {
    const found = server(request);
    const upload = readServerUpload(request, { rawPem: true });
    if (upload.publicKeyPem === undefined) throw bad('PUBLIC_KEY_REQUIRED', 'Choose the new public key file (.pem).');
    const certificate = readRecipientCertificate(upload.publicKeyPem);
    ctx.servers.replaceCertificate(found.id, certificate.pem, ctx.clock.nowMs());
    return { id: found.id, name: found.name };
  });

  app.get('/api/mdm-servers/:id/faults', async (request) => ({
    rules: ctx.faults.list(server(request).id).map(faultJson),
  }));

  app.post('/api/mdm-servers/:id/faults', async (request) => {
    const found = server(request);
    const { rules, immediate } = parseFaultRules(jsonBody(request.body));
    const stored = ctx.faults.replace(found.id, rules);
    let expiredSessions = 0;
    for (const fault of immediate) {
      if (fault.kind === 'expireSessions') expiredSessions += ctx.sessions.expireAll(found.id, ctx.clock.nowMs());
    }
    return { rules: stored.map(faultJson), ...(immediate.length > 0 ? { expiredSessions } : {}) };
  });

  app.delete('/api/mdm-servers/:id/faults', async (request, reply) => {
    ctx.faults.clear(server(request).id);
    return reply.code(204).send();
  });

  app.post('/api/mdm-servers/:id/devices', async (request) => {
    const found = server(request);
    const body = objectBody(request.body);
    const serials =
      body['serials'] !== undefined
        ? serialList(body['serials'])
        : ctx.devices.unassignedSerials(positiveCount(body['count']));
    const outcomes = ctx.devices.assign(found.id, serials, ctx.clock.nowMs(), ctx.organization.organization.adminId);
    const tally = { added: 0, moved: 0, unchanged: 0, notFound: [] as string[] };
    for (const [serial, outcome] of outcomes) {
      if (outcome === 'not_found') tally.notFound.push(serial);
      else tally[outcome] += 1;
    }
    return { assigned: tally.added + tally.moved, ...tally };
  });

  app.delete('/api/mdm-servers/:id/devices', async (request) => {
    const found = server(request);
    const body = objectBody(request.body);
    let serials: string[];
    if (body['serials'] !== undefined) serials = serialList(body['serials']);
    else if (body['all'] === true) serials = ctx.devices.serialsOf(found.id);
    else serials = ctx.devices.serialsOf(found.id, positiveCount(body['count']));
    const outcomes = ctx.devices.unassign(found.id, serials, ctx.clock.nowMs());
    const notAssignedHere = [...outcomes].filter(([, outcome]) => outcome !== 'SUCCESS').map(([serial]) => serial);
    return { unassigned: outcomes.size - notAssignedHere.length, notAssignedHere };
  });

  app.get('/api/devices', async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const limit = Math.min(Math.max(Number(query['limit'] ?? 50) || 50, 1), 1000);
    const serverId = query['serverId'];
    const filter =
      serverId === undefined || serverId === '' ? {} : { serverId: serverId === 'unassigned' ? null : serverId };
    if (typeof filter.serverId === 'string' && ctx.servers.get(filter.serverId) === undefined)
      throw serverNotFound(filter.serverId);
    const page = ctx.devices.list(filter, query['after'] ?? '', limit);
    return {
      items: page.devices.map(deviceJson),
      nextCursor: page.more ? (page.devices.at(-1)?.serial ?? null) : null,
    };
  });

  app.post('/api/devices', async (request, reply) => {
    const body = objectBody(request.body);
    const generator = new DeviceGenerator(generatorOptions(body));
    const target = body['mdmServerId'] ?? body['serverId'];
    if (target !== undefined && (typeof target !== 'string' || ctx.servers.get(target) === undefined))
      throw serverNotFound(String(target));
    const now = ctx.clock.nowMs();
    const assignTo =
      typeof target === 'string' ? { serverId: target, adminId: ctx.organization.organization.adminId } : undefined;
    let serials: string[];
    let existing: string[] = [];
    if (body['serials'] !== undefined) {
      ({ created: serials, existing } = ctx.devices.createWithSerials(
        serialList(body['serials']),
        generator,
        now,
        assignTo,
      ));
      // Serials the organisation already has are assigned (or moved) as asked, not duplicated.
      if (assignTo !== undefined && existing.length > 0)
        ctx.devices.assign(assignTo.serverId, existing, now, assignTo.adminId);
    } else {
      serials = ctx.devices.createGenerated(positiveCount(body['count']), generator, now, assignTo);
    }
    return reply.code(201).send({ count: serials.length, serials, ...(existing.length > 0 ? { existing } : {}) });
  });

  // One device in full: the list's fields plus its UDID (made on first need) and, while a
  // profile is assigned, that profile's enrollment URL, which a device would get from Apple.
  app.get('/api/devices/:serial', async (request) => {
    const { serial } = request.params as { serial: string };
    const device = ctx.devices.get(serial.toUpperCase());
    if (device === undefined || device.disowned) throw deviceNotFound(serial);
    const profile =
      device.serverId === null || device.profileUuid === null
        ? undefined
        : ctx.profiles.find(device.serverId, device.profileUuid);
    const url = profile?.settings['url'];
    return {
      ...deviceJson(device),
      udid: ctx.identities.udid(device),
      profileUrl: typeof url === 'string' ? url : null,
    };
  });

  // Only marks the profile pushed; `POST …/activation` (device-routes.ts) also answers the profile.
  app.post('/api/devices/:serial/profile-pushed', async (request) => {
    const serial = (request.params as { serial: string }).serial.toUpperCase();
    const refusal = pushRefusal(serial, ctx.devices.markPushed(serial, ctx.clock.nowMs()));
    if (refusal !== undefined) throw refusal;
    const device = ctx.devices.get(serial);
    if (device === undefined) throw deviceNotFound(serial);
    return deviceJson(device);
  });

  deviceRoutes(app, ctx);

  app.get('/api/catalog', async () => ({
    families: DEVICE_FAMILIES,
    models: catalogModels().map((entry) => ({ family: entry.family, model: entry.model, colors: entry.colors })),
  }));

  app.get('/api/terms', async () => ({ accepted: ctx.organization.termsAccepted() }));
  app.post('/api/terms', async (request) => {
    const accepted = objectBody(request.body)['accepted'];
    if (typeof accepted !== 'boolean')
      throw bad('ACCEPTED_REQUIRED', 'Send {"accepted": true} or {"accepted": false}.');
    ctx.organization.setTermsAccepted(accepted);
    return { accepted };
  });

  const clockJson = () => ({ now: ctx.clock.now().toISOString(), offsetSeconds: ctx.clock.offsetSeconds });
  app.get('/api/clock', async () => clockJson());
  app.post('/api/clock', async (request) => {
    const seconds = objectBody(request.body)['advanceSeconds'];
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw bad('ADVANCE_SECONDS_INVALID', 'Send {"advanceSeconds": n} with n ≥ 0; sandbox time never goes back.');
    }
    ctx.clock.advance(seconds);
    return clockJson();
  });
}

function codeOf(error: Error): string {
  if (error instanceof CertificateUploadError) return 'PUBLIC_KEY_INVALID';
  if (error instanceof DeviceKeyError) return error.code;
  if (error instanceof FaultRuleError) return 'FAULT_RULES_INVALID';
  return 'MALFORMED_BODY';
}

function objectBody(body: unknown): Record<string, unknown> {
  const value = jsonBody(body);
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('MALFORMED_BODY', 'Send a JSON object.');
  return value as Record<string, unknown>;
}

function positiveCount(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_DEVICES_PER_REQUEST) {
    throw bad(
      'COUNT_INVALID',
      `Send "count" as a whole number from 1 to ${MAX_DEVICES_PER_REQUEST}, or a list of "serials".`,
    );
  }
  return value as number;
}

function serialList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_DEVICES_PER_REQUEST) {
    throw bad('SERIALS_INVALID', `"serials" must be a list of 1 to ${MAX_DEVICES_PER_REQUEST} serial numbers.`);
  }
  return value.map((item) => {
    const serial = typeof item === 'string' ? item.trim().toUpperCase() : '';
    if (!SERIAL_PATTERN.test(serial))
      throw bad('SERIAL_INVALID', `${JSON.stringify(item)} is not a serial number (8 to 14 letters and digits).`);
    return serial;
  });
}

function generatorOptions(body: Record<string, unknown>): DeviceGeneratorOptions {
  const options: { family?: (typeof DEVICE_FAMILIES)[number]; model?: NonNullable<DeviceGeneratorOptions['model']> } =
    {};
  const family = body['family'] ?? body['deviceFamily'];
  if (family !== undefined && family !== null && family !== '') {
    const parsed = typeof family === 'string' ? parseFamily(family) : undefined;
    if (parsed === undefined) throw bad('FAMILY_INVALID', `family must be one of ${DEVICE_FAMILIES.join(', ')}.`);
    options.family = parsed;
  }
  const model = body['model'];
  if (model !== undefined && model !== null && model !== '') {
    const entry = typeof model === 'string' ? findModel(model) : undefined;
    if (entry === undefined) {
      throw bad(
        'MODEL_INVALID',
        `Unknown model ${JSON.stringify(model)}; GET /abm/api/catalog lists the models, e.g. "iPhone 15 Pro".`,
      );
    }
    if (options.family !== undefined && entry.family !== options.family)
      throw bad('MODEL_INVALID', `${entry.model} is not in the ${options.family} family.`);
    options.model = entry;
  }
  return options;
}

interface ServerUpload {
  readonly name?: string;
  readonly publicKeyPem?: string;
}

/** JSON `{name, publicKeyPem}`, a browser form with a file, or (for replacement) a bare PEM body. */
function readServerUpload(request: FastifyRequest, options: { rawPem?: boolean } = {}): ServerUpload {
  const contentType = request.headers['content-type'];
  if (isMultipart(contentType)) {
    const parts = multipartParts(contentType, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
    const name = parts.find((part) => part.filename === undefined && part.name === 'name')?.data.toString('utf8');
    const file =
      parts.find((part) => part.filename !== undefined && part.data.length > 0) ??
      parts.find((part) => ['publicKeyPem', 'publicKey', 'file', 'certificate'].includes(part.name));
    return {
      ...(name === undefined ? {} : { name }),
      ...(file === undefined ? {} : { publicKeyPem: file.data.toString('utf8') }),
    };
  }
  if (options.rawPem === true && bodyText(request.body).trimStart().startsWith('-----BEGIN'))
    return { publicKeyPem: bodyText(request.body) };
  const body = objectBody(request.body);
  const name = body['name'];
  const pem = body['publicKeyPem'] ?? body['certificatePem'];
  if (name !== undefined && typeof name !== 'string') throw bad('NAME_INVALID', '"name" must be text.');
  if (pem !== undefined && typeof pem !== 'string')
    throw bad('PUBLIC_KEY_INVALID', '"publicKeyPem" must be the PEM text of the certificate.');
  return { ...(name === undefined ? {} : { name }), ...(pem === undefined ? {} : { publicKeyPem: pem }) };
}

/** RFC 6266: an ASCII fallback plus the UTF-8 name for server names like "Bäckerei". */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function serverJson(ctx: SandboxContext, summary: ServerSummary): Record<string, unknown> {
  return {
    id: summary.id,
    name: summary.name,
    serverUuid: summary.serverUuid,
    deviceCount: summary.deviceCount,
    termsAccepted: ctx.organization.termsAccepted(),
    tokenIssuedAt: summary.token === null ? null : new Date(summary.token.issuedAt).toISOString(),
    tokenExpiresAt: summary.token === null ? null : new Date(summary.token.expiresAt).toISOString(),
    faultRules: ctx.faults.list(summary.id).length,
    createdAt: new Date(summary.createdAt).toISOString(),
    updatedAt: new Date(summary.updatedAt).toISOString(),
  };
}

function faultJson(stored: { rule: unknown; remaining: number | null }): Record<string, unknown> {
  return { ...(stored.rule as Record<string, unknown>), remaining: stored.remaining };
}

function deviceJson(device: DeviceRecord): Record<string, unknown> {
  const time = (ms: number | null) => (ms === null ? null : appleTime(ms));
  return {
    serialNumber: device.serial,
    model: device.model,
    description: device.description,
    color: device.color,
    os: device.os,
    deviceFamily: device.deviceFamily,
    assetTag: device.assetTag,
    mdmServerId: device.serverId,
    assignedAt: time(device.assignedAt),
    assignedBy: device.assignedBy,
    profileUuid: device.profileUuid,
    profileStatus: device.profileStatus,
    profileAssignedAt: time(device.profileAssignTime),
    profilePushedAt: time(device.profilePushTime),
  };
}
