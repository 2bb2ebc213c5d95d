// No existence oracles: for a technician, another customer's customer, site, token, profile or
// device answers exactly like an id nobody ever made — same status, code, title and detail.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { ServerToken } from '../../src/apple/token-file.js';
import type { AppleAccountGateway } from '../../src/domain/abm-tokens.js';
import type { AbmServer } from '../../src/store/repositories/abm-tokens.js';
import { repositoriesOf } from '../../src/store/repositories/index.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { tokenFileFor, tokenJson } from '../helpers/token-files.js';
import { appleDevice, storeDevices } from '../helpers/devices.js';

/** Apple's `/account`: whichever server the test said this consumer key belongs to. */
class ScriptedApple implements AppleAccountGateway {
  readonly servers = new Map<string, AbmServer>();
  async account(_depBaseUrl: string, token: ServerToken): Promise<AbmServer> {
    const server = this.servers.get(token.consumerKey);
    if (server === undefined) throw new Error('no scripted server for this token');
    return server;
  }
}

/**
 * The answer with what the client itself sent taken out: the probed id wherever it is echoed,
 * and the per-request `instance` / `requestId`. What remains must be byte-equal.
 */
function comparable(res: LightMyRequestResponse, probed: string) {
  const body = res.body.split(probed).join('<probed>');
  const parsed: unknown = body === '' ? '' : JSON.parse(body);
  if (typeof parsed === 'object' && parsed !== null) {
    delete (parsed as Record<string, unknown>)['instance'];
    delete (parsed as Record<string, unknown>)['requestId'];
  }
  return { status: res.statusCode, contentType: res.headers['content-type'], body: JSON.stringify(parsed) };
}

for (const { engine, skip } of await engines()) {
  describe(`a technician cannot tell another customer's things from made-up ids on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    const apple = new ScriptedApple();
    let techKey: string;
    const mine = { customer: '', site: '', token: '' };
    const theirs = { customer: '', site: '', token: '', serial: 'F9THEIRS0001', server: 'Theirs MDM Server' };

    const asTech = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
      t.api(method, url, body, { authorization: `Bearer ${techKey}`, ...headers });

    before(async () => {
      t = await startTestOrchard(engine, { apple });
      const place = async (customerName: string, siteName: string) => {
        const customer = (await t.api('POST', '/api/v1/customers', { name: customerName })).json().id as string;
        const site = (await t.api('POST', `/api/v1/customers/${customer}/sites`, { name: siteName })).json()
          .id as string;
        const token = (await t.api('POST', '/api/v1/abm-tokens', { customerId: customer, siteId: site })).json()
          .id as string;
        return { customer, site, token };
      };
      Object.assign(mine, await place('Mine Inc', 'Mine HQ'));
      Object.assign(theirs, await place('Theirs Ltd', 'Theirs Secret Lab'));

      // Their token is connected to an MDM server, and a device of theirs is known.
      const { json, consumerKey } = tokenJson();
      apple.servers.set(consumerKey, {
        name: theirs.server,
        uuid: 'uuid-theirs',
        orgName: 'Theirs Ltd',
        orgEmail: null,
        adminId: null,
      });
      const publicKey = (await t.api('GET', `/api/v1/abm-tokens/${theirs.token}/public-key`)).body;
      const uploaded = await t.api(
        'PUT',
        `/api/v1/abm-tokens/${theirs.token}/token`,
        await tokenFileFor(publicKey, json),
        {
          'content-type': 'application/octet-stream',
        },
      );
      assert.equal(uploaded.statusCode, 200, uploaded.body);
      const now = '2026-06-01T12:00:00.000Z';
      await storeDevices(
        repositoriesOf(t.orchard.db.kysely),
        { tokenId: theirs.token, customerId: theirs.customer, siteId: theirs.site },
        [appleDevice(theirs.serial)],
        now,
      );

      const email = `scope-tech-${engine}@example.com`;
      await t.orchard.users.createUser({
        email,
        password: 'a technician password for the scope tests',
        role: 'technician',
        customerIds: [mine.customer],
      });
      techKey = (await t.orchard.apiKeys.createFromShell({ name: 'scope tech', userEmail: email })).key;
    });
    after(() => t.close());

    /** Asks with their id and with a made-up one; the two answers must not differ. */
    async function indistinguishable(
      what: string,
      theirId: string,
      ask: (id: string) => Promise<LightMyRequestResponse>,
      madeUp: string = randomUUID(),
    ) {
      const real = comparable(await ask(theirId), theirId);
      const fake = comparable(await ask(madeUp), madeUp);
      assert.deepEqual(real, fake, `${what}: their id answers differently from a made-up one`);
      return real;
    }

    test('a site of another customer is "not found" when starting a token, like a made-up site id', async () => {
      const answer = await indistinguishable('POST /abm-tokens with their site', theirs.site, (siteId) =>
        asTech('POST', '/api/v1/abm-tokens', { customerId: mine.customer, siteId }),
      );
      assert.equal(answer.status, 404);
      assert.doesNotMatch(answer.body, /another customer/);
    });

    test('moving a token to a site of another customer is "not found", like a made-up site id', async () => {
      const answer = await indistinguishable('PATCH /abm-tokens/{mine} to their site', theirs.site, (siteId) =>
        asTech('PATCH', `/api/v1/abm-tokens/${mine.token}`, { customerId: mine.customer, siteId }),
      );
      assert.equal(answer.status, 404);
      await indistinguishable('PATCH /abm-tokens/{mine} to their customer', theirs.customer, (customerId) =>
        asTech('PATCH', `/api/v1/abm-tokens/${mine.token}`, { customerId, siteId: theirs.site }),
      );
      assert.equal((await asTech('GET', `/api/v1/abm-tokens/${mine.token}`)).json().siteId, mine.site, 'not moved');
    });

    test('their customer, site, token, profile and device answer every verb exactly like made-up ids', async () => {
      const profile = (await asTech('GET', `/api/v1/abm-tokens/${mine.token}/enrollment-profile`)).json();
      const { url: _url, profileUuid: _uuid, definedAt: _at, lastError: _error, ...editable } = profile;
      const octets = { 'content-type': 'application/octet-stream' };
      const cases: Array<[string, string, (id: string) => Promise<LightMyRequestResponse>]> = [
        ['GET /customers/{id}', theirs.customer, (id) => asTech('GET', `/api/v1/customers/${id}`)],
        [
          'PATCH /customers/{id}',
          theirs.customer,
          (id) => asTech('PATCH', `/api/v1/customers/${id}`, { name: 'Mine now' }),
        ],
        ['DELETE /customers/{id}', theirs.customer, (id) => asTech('DELETE', `/api/v1/customers/${id}`)],
        ['GET /customers/{id}/sites', theirs.customer, (id) => asTech('GET', `/api/v1/customers/${id}/sites`)],
        [
          'POST /customers/{id}/sites',
          theirs.customer,
          (id) => asTech('POST', `/api/v1/customers/${id}/sites`, { name: 'Mine too' }),
        ],
        ['GET /sites/{id}', theirs.site, (id) => asTech('GET', `/api/v1/sites/${id}`)],
        ['PATCH /sites/{id}', theirs.site, (id) => asTech('PATCH', `/api/v1/sites/${id}`, { name: 'Mine now' })],
        ['DELETE /sites/{id}', theirs.site, (id) => asTech('DELETE', `/api/v1/sites/${id}`)],
        [
          'POST /abm-tokens {customerId}',
          theirs.customer,
          (id) => asTech('POST', '/api/v1/abm-tokens', { customerId: id, siteId: theirs.site }),
        ],
        ['GET /abm-tokens/{id}', theirs.token, (id) => asTech('GET', `/api/v1/abm-tokens/${id}`)],
        [
          'PATCH /abm-tokens/{id}',
          theirs.token,
          (id) => asTech('PATCH', `/api/v1/abm-tokens/${id}`, { customerId: mine.customer, siteId: mine.site }),
        ],
        ['DELETE /abm-tokens/{id}', theirs.token, (id) => asTech('DELETE', `/api/v1/abm-tokens/${id}`)],
        ['GET /abm-tokens/{id}/public-key', theirs.token, (id) => asTech('GET', `/api/v1/abm-tokens/${id}/public-key`)],
        [
          'POST /abm-tokens/{id}/public-key',
          theirs.token,
          (id) => asTech('POST', `/api/v1/abm-tokens/${id}/public-key`),
        ],
        ['POST /abm-tokens/{id}/sync', theirs.token, (id) => asTech('POST', `/api/v1/abm-tokens/${id}/sync`)],
        [
          'PUT /abm-tokens/{id}/token',
          theirs.token,
          (id) => asTech('PUT', `/api/v1/abm-tokens/${id}/token`, Buffer.from('not a token'), octets),
        ],
        [
          'GET /abm-tokens/{id}/enrollment-profile',
          theirs.token,
          (id) => asTech('GET', `/api/v1/abm-tokens/${id}/enrollment-profile`),
        ],
        [
          'PUT /abm-tokens/{id}/enrollment-profile',
          theirs.token,
          (id) => asTech('PUT', `/api/v1/abm-tokens/${id}/enrollment-profile`, editable),
        ],
        ['GET /devices/{serial}', theirs.serial, (id) => asTech('GET', `/api/v1/devices/${id}`)],
      ];
      for (const [what, theirId, ask] of cases) {
        const answer = await indistinguishable(what, theirId, ask);
        assert.ok(answer.status === 404 || answer.status === 403, `${what}: ${answer.status} ${answer.body}`);
      }
      // Filters by their ids find nothing, exactly as made-up ids do.
      const filters: Array<[string, string]> = [
        ['/api/v1/abm-tokens?customerId=', theirs.customer],
        ['/api/v1/abm-tokens?siteId=', theirs.site],
        ['/api/v1/devices?customerId=', theirs.customer],
        ['/api/v1/devices?siteId=', theirs.site],
        ['/api/v1/devices?abmTokenId=', theirs.token],
        ['/api/v1/devices/summary?customerId=', theirs.customer],
        ['/api/v1/devices/summary?siteId=', theirs.site],
        ['/api/v1/devices/summary?abmTokenId=', theirs.token],
      ];
      for (const [url, theirId] of filters)
        await indistinguishable(`GET ${url}`, theirId, (id) => asTech('GET', `${url}${id}`));

      // Nothing of theirs changed.
      const token = (await t.api('GET', `/api/v1/abm-tokens/${theirs.token}`)).json();
      assert.equal(token.siteId, theirs.site);
      assert.equal((await t.api('GET', `/api/v1/sites/${theirs.site}`)).json().name, 'Theirs Secret Lab');
    });

    test('an MDM server already connected for another customer is refused without naming that customer or site', async () => {
      const pending = (
        await asTech('POST', '/api/v1/abm-tokens', { customerId: mine.customer, siteId: mine.site })
      ).json();
      const { json, consumerKey } = tokenJson();
      apple.servers.set(consumerKey, {
        name: theirs.server,
        uuid: 'uuid-theirs',
        orgName: null,
        orgEmail: null,
        adminId: null,
      });
      const publicKey = (await asTech('GET', `/api/v1/abm-tokens/${pending.id}/public-key`)).body;
      const res = await asTech('PUT', `/api/v1/abm-tokens/${pending.id}/token`, await tokenFileFor(publicKey, json), {
        'content-type': 'application/octet-stream',
      });
      assert.equal(res.statusCode, 409, res.body);
      const body = res.json();
      assert.equal(body.code, 'TOKEN_SERVER_ALREADY_CONNECTED');
      assert.match(body.detail, /another Customer and Site/);
      for (const secret of ['Theirs Ltd', 'Theirs Secret Lab', theirs.customer, theirs.site, theirs.token]) {
        assert.equal(res.body.includes(secret), false, `${secret} is not revealed`);
      }
      assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'status', 'title', 'type']);

      // The admin, who may see it, is told where it is connected.
      const asAdmin = await t.api(
        'PUT',
        `/api/v1/abm-tokens/${pending.id}/token`,
        await tokenFileFor(publicKey, json),
        {
          'content-type': 'application/octet-stream',
        },
      );
      assert.equal(asAdmin.statusCode, 409);
      assert.match(asAdmin.json().detail, /Theirs Ltd \/ Theirs Secret Lab/);
      assert.equal(asAdmin.json().tokenId, theirs.token);
    });
  });
}
