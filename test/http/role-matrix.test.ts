// Every route in /openapi.json, tried by every kind of caller against its own customer's things
// and another customer's: an admin, a technician of one customer, a read-only user of that
// customer, and an admin's read-only API key. What each may do is written once below (`expect`);
// a route added without a line in ROUTES fails the test, so no route escapes the matrix.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ServerToken } from '../../src/apple/token-file.js';
import type { AppleAccountGateway } from '../../src/domain/abm-tokens.js';
import type { AbmServer } from '../../src/store/repositories/abm-tokens.js';
import { repositoriesOf } from '../../src/store/repositories/index.js';
import { appleDevice, storeDevices } from '../helpers/devices.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { tokenFileFor, tokenJson } from '../helpers/token-files.js';

/** Apple's `/account`, for token uploads: any token file is some server. */
class AnyApple implements AppleAccountGateway {
  async account(_depBaseUrl: string, token: ServerToken): Promise<AbmServer> {
    return { name: `Server ${token.consumerKey}`, uuid: randomUUID(), orgName: 'Org', orgEmail: null, adminId: null };
  }
}

type Caller = 'admin' | 'technician' | 'read_only' | 'admin_read_only_key';
const CALLERS: readonly Caller[] = ['admin', 'technician', 'read_only', 'admin_read_only_key'];
type Target = 'own' | 'other';

/** A customer with a site, a token awaiting its file, a device, and the user's throwaway things. */
interface Place {
  readonly customer: string;
  readonly site: string;
  /** An ABM token awaiting its file (made on first use: its key pair takes tens of milliseconds). */
  token(): Promise<string>;
  /** A device of that token. */
  serial(): Promise<string>;
  // Made when a route first asks (a sign-in hashes a password; most routes need none of these).
  /** An invited user nobody signs in as, for the user routes to change and delete. */
  user(): Promise<string>;
  /** That user's one-time link token. */
  linkToken(): Promise<string>;
  /** An API key for the route to revoke: the caller's own (own) or another user's (other). */
  apiKey(): Promise<string>;
  /** A session for the route to end: the caller's own (own) or another user's (other). */
  session(): Promise<{ id: string; cookie: string }>;
  /** A webhook (admins' alone: it has no customer). */
  webhook(): Promise<string>;
  /** An email recipient of the customer's. */
  recipient(): Promise<string>;
}

interface Request {
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * How a route is guarded:
 * - customer: a customer's things; callers outside it get "not found";
 * - admin: admins only (users; creating and deleting customers);
 * - account: the caller's own account, open to everyone signed in;
 * - public: answers without signing in, the same whoever asks.
 */
type Guard = 'customer' | 'admin' | 'account' | 'public';

interface Route {
  readonly guard: Guard;
  /** The route uses up what it is aimed at (deletes it, connects it, ends it): it gets a place of its own. */
  readonly consumes?: boolean;
  /** The route acts on the caller's own things only (or on nothing): there is no other customer's to aim at. */
  readonly untargeted?: boolean;
  /** A write a read-only caller may still make: it touches only its own account. */
  readonly selfService?: boolean;
  /** The request, well-formed, aimed at `place` (the caller's own or another customer's). */
  request(place: Place, t: TestOrchard): Promise<Request> | Request;
}

type Outcome = 'allowed' | 'forbidden' | 'read_only' | 'not_found';

const SAFE = new Set(['GET', 'HEAD']);

/** The policy, once: what `caller` gets from a route guarded by `route.guard`, aimed at `target`. */
function expect(method: string, route: Route, caller: Caller, target: Target): Outcome {
  if (route.guard === 'public') return 'allowed';
  const readOnly = caller === 'read_only' || caller === 'admin_read_only_key';
  const admin = caller === 'admin' || caller === 'admin_read_only_key';
  if (!SAFE.has(method) && !route.selfService && readOnly) return 'read_only';
  switch (route.guard) {
    case 'admin':
      return admin ? 'allowed' : 'forbidden';
    case 'customer':
      return admin || target === 'own' ? 'allowed' : 'not_found';
    case 'account':
      return target === 'own' ? 'allowed' : 'not_found';
  }
}

const json = (method: string, url: string, body?: unknown): Request => ({
  method,
  url: `/api/v1${url}`,
  ...(body === undefined ? {} : { body }),
});

/** An account route that an admin may also aim at other users' things (API keys). */
const ADMIN_REACHES_OTHERS = new Set(['DELETE /api/v1/api-keys/{id}']);

function expectFor(name: string, route: Route, caller: Caller, target: Target): Outcome {
  const method = name.split(' ')[0] ?? '';
  const want = expect(method, route, caller, target);
  if (want !== 'not_found' || !ADMIN_REACHES_OTHERS.has(name)) return want;
  return caller === 'admin' ? 'allowed' : caller === 'admin_read_only_key' ? 'read_only' : want;
}

const ROUTES: Record<string, Route> = {
  'GET /healthz': { guard: 'public', request: () => ({ method: 'GET', url: '/healthz' }) },
  'POST /api/v1/auth/login': {
    guard: 'public',
    request: () => json('POST', '/auth/login', { email: 'matrix-someone_else@example.com', password: PASSWORD }),
  },
  'POST /api/v1/auth/logout': { guard: 'public', request: () => json('POST', '/auth/logout') },
  'POST /api/v1/auth/password-link': {
    consumes: true,
    guard: 'public',
    request: async (p) =>
      json('POST', '/auth/password-link', { token: await p.linkToken(), password: 'a long enough password' }),
  },
  'GET /api/v1/auth/me': {
    guard: 'account',
    untargeted: true,
    request: async (p) => ({ ...json('GET', '/auth/me'), headers: { cookie: (await p.session()).cookie } }),
  },
  'POST /api/v1/auth/password': {
    consumes: true,
    guard: 'account',
    untargeted: true,
    selfService: true,
    request: () => json('POST', '/auth/password', { currentPassword: PASSWORD, newPassword: PASSWORD }),
  },
  'GET /api/v1/auth/sessions': { guard: 'account', untargeted: true, request: () => json('GET', '/auth/sessions') },
  'DELETE /api/v1/auth/sessions': {
    consumes: true,
    guard: 'account',
    untargeted: true,
    selfService: true,
    request: () => json('DELETE', '/auth/sessions'),
  },
  'DELETE /api/v1/auth/sessions/{id}': {
    consumes: true,
    guard: 'account',
    selfService: true,
    request: async (p) => json('DELETE', `/auth/sessions/${(await p.session()).id}`),
  },
  'GET /api/v1/users': { guard: 'admin', request: () => json('GET', '/users') },
  'POST /api/v1/users': {
    guard: 'admin',
    request: () => json('POST', '/users', { email: `new-${randomUUID()}@example.com`, role: 'technician' }),
  },
  'GET /api/v1/users/{id}': { guard: 'admin', request: async (p) => json('GET', `/users/${await p.user()}`) },
  'PATCH /api/v1/users/{id}': {
    guard: 'admin',
    request: async (p) => json('PATCH', `/users/${await p.user()}`, { role: 'read_only', customerIds: [p.customer] }),
  },
  'DELETE /api/v1/users/{id}': {
    consumes: true,
    guard: 'admin',
    request: async (p) => json('DELETE', `/users/${await p.user()}`),
  },
  'POST /api/v1/users/{id}/password-reset': {
    guard: 'admin',
    request: async (p) => json('POST', `/users/${await p.user()}/password-reset`),
  },
  'GET /api/v1/api-keys': { guard: 'account', untargeted: true, request: () => json('GET', '/api-keys') },
  'POST /api/v1/api-keys': {
    guard: 'account',
    untargeted: true,
    request: () => json('POST', '/api-keys', { name: 'matrix' }),
  },
  'DELETE /api/v1/api-keys/{id}': {
    consumes: true,
    guard: 'account',
    selfService: true,
    request: async (p) => json('DELETE', `/api-keys/${await p.apiKey()}`),
  },
  'GET /api/v1/customers': { guard: 'account', untargeted: true, request: () => json('GET', '/customers') },
  'POST /api/v1/customers': {
    guard: 'admin',
    request: () => json('POST', '/customers', { name: `C ${randomUUID()}` }),
  },
  'GET /api/v1/customers/{id}': { guard: 'customer', request: (p) => json('GET', `/customers/${p.customer}`) },
  'PATCH /api/v1/customers/{id}': {
    guard: 'customer',
    request: (p) => json('PATCH', `/customers/${p.customer}`, { name: `Renamed ${randomUUID()}` }),
  },
  'DELETE /api/v1/customers/{id}': {
    consumes: true,
    guard: 'admin',
    request: (p) => json('DELETE', `/customers/${p.customer}`),
  },
  'GET /api/v1/customers/{id}/sites': {
    guard: 'customer',
    request: (p) => json('GET', `/customers/${p.customer}/sites`),
  },
  'POST /api/v1/customers/{id}/sites': {
    guard: 'customer',
    request: (p) => json('POST', `/customers/${p.customer}/sites`, { name: `Site ${randomUUID()}` }),
  },
  'GET /api/v1/sites/{id}': { guard: 'customer', request: (p) => json('GET', `/sites/${p.site}`) },
  'PATCH /api/v1/sites/{id}': {
    guard: 'customer',
    request: (p) => json('PATCH', `/sites/${p.site}`, { name: `Renamed ${randomUUID()}` }),
  },
  'DELETE /api/v1/sites/{id}': {
    consumes: true,
    guard: 'customer',
    request: (p) => json('DELETE', `/sites/${p.site}`),
  },
  'GET /api/v1/abm-tokens': { guard: 'account', untargeted: true, request: () => json('GET', '/abm-tokens') },
  'POST /api/v1/abm-tokens': {
    guard: 'customer',
    request: (p) => json('POST', '/abm-tokens', { customerId: p.customer, siteId: p.site }),
  },
  'GET /api/v1/abm-tokens/{id}': {
    guard: 'customer',
    request: async (p) => json('GET', `/abm-tokens/${await p.token()}`),
  },
  'PATCH /api/v1/abm-tokens/{id}': {
    guard: 'customer',
    request: async (p) => json('PATCH', `/abm-tokens/${await p.token()}`, { customerId: p.customer, siteId: p.site }),
  },
  'DELETE /api/v1/abm-tokens/{id}': {
    consumes: true,
    guard: 'customer',
    request: async (p) => json('DELETE', `/abm-tokens/${await p.token()}`),
  },
  'GET /api/v1/abm-tokens/{id}/public-key': {
    guard: 'customer',
    request: async (p) => json('GET', `/abm-tokens/${await p.token()}/public-key`),
  },
  'POST /api/v1/abm-tokens/{id}/public-key': {
    consumes: true,
    guard: 'customer',
    request: async (p) => json('POST', `/abm-tokens/${await p.token()}/public-key`),
  },
  'POST /api/v1/abm-tokens/{id}/sync': {
    guard: 'customer',
    request: async (p) => json('POST', `/abm-tokens/${await p.token()}/sync`),
  },
  'PUT /api/v1/abm-tokens/{id}/token': {
    consumes: true,
    guard: 'customer',
    request: async (p, t) => {
      const publicKey = (await t.api('GET', `/api/v1/abm-tokens/${await p.token()}/public-key`)).body;
      return {
        ...json('PUT', `/abm-tokens/${await p.token()}/token`, await tokenFileFor(publicKey, tokenJson().json)),
        headers: { 'content-type': 'application/octet-stream' },
      };
    },
  },
  'GET /api/v1/abm-tokens/{id}/enrollment-profile': {
    guard: 'customer',
    request: async (p) => json('GET', `/abm-tokens/${await p.token()}/enrollment-profile`),
  },
  'PUT /api/v1/abm-tokens/{id}/enrollment-profile': {
    guard: 'customer',
    request: async (p, t) => {
      const profile = (await t.api('GET', `/api/v1/abm-tokens/${await p.token()}/enrollment-profile`)).json();
      const { url: _url, profileUuid: _uuid, definedAt: _at, lastError: _error, ...editable } = profile;
      return json('PUT', `/abm-tokens/${await p.token()}/enrollment-profile`, { ...editable, department: 'Matrix' });
    },
  },
  'GET /api/v1/devices': { guard: 'customer', request: (p) => json('GET', `/devices?customerId=${p.customer}`) },
  'GET /api/v1/devices/summary': {
    guard: 'customer',
    request: (p) => json('GET', `/devices/summary?customerId=${p.customer}`),
  },
  'GET /api/v1/devices/{serialNumber}': {
    guard: 'customer',
    request: async (p) => json('GET', `/devices/${await p.serial()}`),
  },
  'GET /api/v1/devices/{serialNumber}/commands': {
    guard: 'customer',
    request: async (p) => json('GET', `/devices/${await p.serial()}/commands`),
  },
  'GET /api/v1/devices/{serialNumber}/enrollment-events': {
    guard: 'customer',
    request: async (p) => json('GET', `/devices/${await p.serial()}/enrollment-events`),
  },
  'GET /api/v1/audit-events': {
    guard: 'customer',
    request: (p) => json('GET', `/audit-events?customerId=${p.customer}`),
  },
  'GET /api/v1/webhooks': { guard: 'admin', request: () => json('GET', '/webhooks') },
  'POST /api/v1/webhooks': {
    guard: 'admin',
    request: () => json('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['device.added'] }),
  },
  'GET /api/v1/webhooks/{id}': { guard: 'admin', request: async (p) => json('GET', `/webhooks/${await p.webhook()}`) },
  'PATCH /api/v1/webhooks/{id}': {
    guard: 'admin',
    request: async (p) => json('PATCH', `/webhooks/${await p.webhook()}`, { description: 'changed' }),
  },
  'DELETE /api/v1/webhooks/{id}': {
    guard: 'admin',
    consumes: true,
    request: async (p) => json('DELETE', `/webhooks/${await p.webhook()}`),
  },
  'POST /api/v1/webhooks/{id}/test': {
    guard: 'admin',
    request: async (p) => json('POST', `/webhooks/${await p.webhook()}/test`),
  },
  'GET /api/v1/webhooks/{id}/deliveries': {
    guard: 'admin',
    request: async (p) => json('GET', `/webhooks/${await p.webhook()}/deliveries`),
  },
  'GET /api/v1/email-recipients': {
    guard: 'customer',
    request: (p) => json('GET', `/email-recipients?customerId=${p.customer}`),
  },
  'POST /api/v1/email-recipients': {
    guard: 'customer',
    request: (p) =>
      json('POST', '/email-recipients', { email: `it-${randomUUID()}@example.com`, customerId: p.customer }),
  },
  'DELETE /api/v1/email-recipients/{id}': {
    guard: 'customer',
    consumes: true,
    request: async (p) => json('DELETE', `/email-recipients/${await p.recipient()}`),
  },
  // No mail server in this test: an admin gets 503 EMAIL_NOT_CONFIGURED, the others are refused first.
  'POST /api/v1/email-recipients/test': {
    guard: 'admin',
    request: () => json('POST', '/email-recipients/test', { to: 'someone@example.com' }),
  },
  'GET /api/v1/system': { guard: 'account', untargeted: true, request: () => json('GET', '/system') },
};

const PASSWORD = 'a password for the role matrix';

/**
 * The sandbox stands in for Apple. Its DEP service authenticates MDM servers by their OAuth
 * token, not Orchard's users; its pages and portal API admit Orchard's users, and read-only
 * ones only to look (a test below).
 */
const SANDBOX = /^(GET|POST|PUT|DELETE) \/sandbox\//;

for (const { engine, skip } of await engines()) {
  describe(`every route, every role on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    const users = {} as Record<Caller | 'someone_else', { id: string; email: string; key: string }>;
    let n = 0;

    before(async () => {
      t = await startTestOrchard(engine, { apple: new AnyApple() });
      const make = async (who: Caller | 'someone_else', role: string) => {
        const email = `matrix-${who}@example.com`;
        const created = await t.api('POST', '/api/v1/users', { email, role, password: PASSWORD });
        assert.equal(created.statusCode, 201, created.body);
        const id = created.json().user.id as string;
        const key = await t.api('POST', '/api/v1/api-keys', { name: who, userId: id });
        users[who] = { id, email, key: key.json().key };
      };
      await make('admin', 'admin');
      await make('technician', 'technician');
      await make('read_only', 'read_only');
      await make('someone_else', 'technician');
      // The same admin through a key with the read-only scope.
      const key = await t.api('POST', '/api/v1/api-keys', { name: 'ro', userId: users.admin.id, readOnly: true });
      assert.equal(key.statusCode, 201, key.body);
      users.admin_read_only_key = { ...users.admin, key: key.json().key };
    });
    after(() => t.close());

    /** A fresh customer for the route to read or change; the caller's things are its own or someone else's. */
    async function place(caller: Caller, target: Target): Promise<Place> {
      const i = ++n;
      const customer = (await t.api('POST', '/api/v1/customers', { name: `Customer ${i}` })).json().id as string;
      const site = (await t.api('POST', `/api/v1/customers/${customer}/sites`, { name: 'HQ' })).json().id as string;
      const withDevice = once(async () => {
        const token = (await t.api('POST', '/api/v1/abm-tokens', { customerId: customer, siteId: site })).json()
          .id as string;
        const serial = `MATRIX${String(i).padStart(6, '0')}`;
        await storeDevices(
          repositoriesOf(t.orchard.db.kysely),
          { tokenId: token, customerId: customer, siteId: site },
          [appleDevice(serial)],
          new Date().toISOString(),
        );
        return { token, serial };
      });
      const holder = target === 'own' ? users[caller] : users.someone_else;
      const invited = once(async () => {
        const res = await t.api('POST', '/api/v1/users', { email: `throwaway-${i}@example.com`, role: 'technician' });
        const body = res.json() as { user: { id: string }; passwordLink: { url: string } };
        return { id: body.user.id, linkToken: new URL(body.passwordLink.url).hash.replace('#token=', '') };
      });
      return {
        customer,
        site,
        token: async () => (await withDevice()).token,
        serial: async () => (await withDevice()).serial,
        user: async () => (await invited()).id,
        linkToken: async () => (await invited()).linkToken,
        apiKey: once(async () => {
          const res = await t.api('POST', '/api/v1/api-keys', { name: `k${i}`, userId: holder.id });
          return res.json().apiKey.id as string;
        }),
        webhook: once(async () => {
          const res = await t.api('POST', '/api/v1/webhooks', {
            url: `http://127.0.0.1:9/h${i}`,
            events: ['device.added'],
          });
          return res.json().webhook.id as string;
        }),
        recipient: once(async () => {
          const res = await t.api('POST', '/api/v1/email-recipients', {
            email: `r${i}@example.com`,
            customerId: customer,
          });
          return res.json().id as string;
        }),
        session: once(async () => {
          const login = await t.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { email: holder.email, password: PASSWORD },
          });
          assert.equal(login.statusCode, 200, login.body);
          const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
          const listed = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie } });
          const id = (listed.json().items as { id: string; current: boolean }[]).find((x) => x.current)?.id ?? '';
          return { id, cookie };
        }),
      };
    }

    test('the matrix names every route of /openapi.json', async () => {
      const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, object> };
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const missing = routes.filter((r) => !(r in ROUTES) && !SANDBOX.test(r));
      assert.deepEqual(missing, [], 'routes with no line in ROUTES: say how each is guarded');
      const gone = Object.keys(ROUTES).filter((r) => !routes.includes(r));
      assert.deepEqual(gone, [], 'lines in ROUTES for routes that no longer exist');
    });

    for (const caller of CALLERS) {
      test(`${caller}: each route answers as the policy says, for its own customer and another`, async () => {
        // Technicians and read-only users see the customers they were given: each place's "own" one.
        const wrong: string[] = [];
        // Routes that only read or rename share one place per target; the others get their own.
        const shared = { own: await place(caller, 'own'), other: await place(caller, 'other') };
        for (const [name, route] of Object.entries(ROUTES)) {
          for (const target of ['own', 'other'] as const) {
            if ((route.guard === 'public' || route.untargeted === true) && target === 'other') continue;
            const p = route.consumes === true ? await place(caller, target) : shared[target];
            const scoped = target === 'own' ? [p.customer] : [];
            for (const who of ['technician', 'read_only'] as const) {
              await t.api('PATCH', `/api/v1/users/${users[who].id}`, { customerIds: scoped });
            }
            const request = await route.request(p, t);
            // A request that brings its session cookie comes without the key.
            const auth =
              request.headers?.['cookie'] === undefined ? { authorization: `Bearer ${users[caller].key}` } : {};
            const res = await t.app.inject({
              method: request.method as 'GET',
              url: request.url,
              headers: { ...auth, ...request.headers },
              ...(request.body === undefined ? {} : { payload: request.body as object }),
            });
            const want = expectFor(name, route, caller, target);
            const got = outcomeOf(res.statusCode, res.body);
            if (got !== want)
              wrong.push(`${name} (${target}): wanted ${want}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
          }
        }
        assert.deepEqual(wrong, []);
      });
    }

    test('read-only users look at the sandbox’s Apple Business Manager but change nothing in it', async () => {
      const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, object> };
      const writes = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/sandbox/abm/'))
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), path] as const))
        .filter(([method]) => !SAFE.has(method));
      assert.ok(writes.length > 5, 'the sandbox portal has writes to try');
      for (const [method, path] of writes) {
        const url = path.replace('{id}', randomUUID()).replace('{serial}', 'NOSUCHSERIAL');
        const asReadOnly = await t.app.inject({
          method: method as 'POST',
          url,
          headers: { authorization: `Bearer ${users.read_only.key}` },
          payload: {},
        });
        assert.equal(asReadOnly.statusCode, 403, `${method} ${path}: ${asReadOnly.body}`);
        assert.equal(asReadOnly.json().code, 'READ_ONLY');
        const asTechnician = await t.app.inject({
          method: method as 'POST',
          url,
          headers: { authorization: `Bearer ${users.technician.key}` },
          payload: {},
        });
        assert.ok(![401, 403].includes(asTechnician.statusCode), `${method} ${path}: ${asTechnician.body}`);
      }
    });
  });
}

/** The function's promise, made on the first call and shared by every later one. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

function outcomeOf(status: number, body: string): Outcome | string {
  // 503 is an answer the route chose (email not configured); 500 is a crash.
  if (status === 500 || status > 503) return `server error ${status}`;
  if (status === 404) return 'not_found';
  if (status === 403) return (JSON.parse(body) as { code?: string }).code === 'READ_ONLY' ? 'read_only' : 'forbidden';
  if (status === 401) return 'unauthenticated';
  return 'allowed';
}
