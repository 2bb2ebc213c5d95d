// The audit trail: each change by a user or key, and each one Orchard decides itself, is
// recorded with who, from where, on what and what changed; a refused change records nothing;
// technicians read only their customers' entries; filters, paging and retention.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ServerToken } from '../../src/apple/token-file.js';
import type { AppleAccountGateway } from '../../src/domain/abm-tokens.js';
import type { AuditEvent } from '../../src/domain/audit.js';
import { DomainError } from '../../src/domain/errors.js';
import { COMMAND_LINE } from '../../src/domain/principal.js';
import type { AbmServer } from '../../src/store/repositories/abm-tokens.js';
import { ManualClock, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { tokenFileFor, tokenJson } from '../helpers/token-files.js';

class AnyApple implements AppleAccountGateway {
  async account(_depBaseUrl: string, token: ServerToken): Promise<AbmServer> {
    return {
      name: `Server ${token.consumerKey.slice(0, 6)}`,
      uuid: randomUUID(),
      orgName: 'Org',
      orgEmail: null,
      adminId: null,
    };
  }
}

const PASSWORD = 'a password for the audit tests';
const DAY = 24 * 60 * 60 * 1000;

for (const { engine, skip } of await engines()) {
  describe(`the audit trail on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    const clock = new ManualClock(new Date());

    before(async () => {
      t = await startTestOrchard(engine, { clock, apple: new AnyApple(), env: { ORCHARD_AUDIT_RETENTION_DAYS: '30' } });
    });
    after(() => t.close());

    async function entries(query = '', key?: string): Promise<AuditEvent[]> {
      const res = await t.api(
        'GET',
        `/api/v1/audit-events?limit=500${query}`,
        undefined,
        key === undefined ? {} : { authorization: `Bearer ${key}` },
      );
      assert.equal(res.statusCode, 200, res.body);
      return res.json().items as AuditEvent[];
    }

    test('people’s changes: who, from where, on what, and what changed; a refused change records nothing', async () => {
      const customer = (
        await t.api('POST', '/api/v1/customers', { name: 'Contoso' }, { 'x-forwarded-for': '203.0.113.9' })
      ).json();
      const site = (await t.api('POST', `/api/v1/customers/${customer.id}/sites`, { name: 'Main Office' })).json();
      await t.api('PATCH', `/api/v1/sites/${site.id}`, { name: 'Head Office' });
      const taken = await t.api('POST', '/api/v1/customers', { name: 'contoso' });
      assert.equal(taken.statusCode, 409);
      const token = (await t.api('POST', '/api/v1/abm-tokens', { customerId: customer.id, siteId: site.id })).json();
      const pem = (await t.api('GET', `/api/v1/abm-tokens/${token.id}/public-key`)).body;
      const uploaded = await t.api(
        'PUT',
        `/api/v1/abm-tokens/${token.id}/token`,
        await tokenFileFor(pem, tokenJson().json),
        {
          'content-type': 'application/octet-stream',
        },
      );
      assert.equal(uploaded.statusCode, 200, uploaded.body);
      await t.api('POST', `/api/v1/abm-tokens/${token.id}/sync`);

      const log = await entries(`&customerId=${customer.id}`);
      assert.deepEqual(
        log.map((e) => e.action).reverse(),
        [
          'customer.created',
          'site.created',
          'site.renamed',
          'abm_token.created',
          'abm_token.public_key_downloaded',
          'abm_token.uploaded',
          'abm_token.sync_requested',
        ],
        'one entry per change, newest first; the refused duplicate left none',
      );
      for (const e of log) {
        assert.equal(e.actor.kind, 'api_key');
        assert.equal(e.actor.label, 'API key "bootstrap"');
        assert.equal(e.customerId, customer.id);
      }
      const renamed = log.find((e) => e.action === 'site.renamed');
      assert.deepEqual(renamed?.details, { name: { from: 'Main Office', to: 'Head Office' } });
      assert.equal(renamed?.target.label, 'Head Office');
      assert.equal(renamed?.siteId, site.id);
      assert.ok(
        log.every((e) => e.actor.clientAddress === '127.0.0.1'),
        'no proxy is trusted: the connecting address',
      );
      const upload = log.find((e) => e.action === 'abm_token.uploaded');
      assert.match(upload?.target.label ?? '', /^Contoso › Head Office \(Server \w+\)$/);
      assert.ok(!JSON.stringify(log).includes('PRIVATE KEY'), 'no secret in an entry');
    });

    test('users and keys: a session user’s changes carry its email; Orchard’s own decisions are Orchard’s', async () => {
      const created = await t.api('POST', '/api/v1/users', {
        email: 'boss@example.com',
        role: 'admin',
        password: PASSWORD,
      });
      const boss = created.json().user.id as string;
      const login = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'boss@example.com', password: PASSWORD },
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
      const headers = { cookie, 'x-csrf-token': login.json().csrfToken as string };
      const tech = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers,
          payload: { email: 'tech@example.com', role: 'technician' },
        })
      ).json().user.id as string;
      await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${tech}`, headers, payload: { disabled: true } });
      const byBoss = await entries(`&actorUserId=${boss}`);
      assert.deepEqual(byBoss.map((e) => [e.action, e.actor.kind, e.actor.label, e.target.label]).reverse(), [
        ['user.invited', 'user', 'boss@example.com', 'tech@example.com'],
        ['user.disabled', 'user', 'boss@example.com', 'tech@example.com'],
      ]);
      const created1 = (await entries('&action=user.created')).find((e) => e.target.id === boss);
      assert.equal(created1?.actor.label, 'API key "bootstrap"');

      // A sync that starts failing, then recovers: recorded once each, by Orchard.
      const customer = (await t.api('POST', '/api/v1/customers', { name: 'Fabrikam' })).json();
      const site = (await t.api('POST', `/api/v1/customers/${customer.id}/sites`, { name: 'HQ' })).json();
      const tokenId = (await t.api('POST', '/api/v1/abm-tokens', { customerId: customer.id, siteId: site.id })).json()
        .id;
      const pem = (await t.api('GET', `/api/v1/abm-tokens/${tokenId}/public-key`)).body;
      await t.api('PUT', `/api/v1/abm-tokens/${tokenId}/token`, await tokenFileFor(pem, tokenJson().json), {
        'content-type': 'application/octet-stream',
      });
      const terms = new DomainError(
        'conflict',
        'DEP_TERMS_NOT_ACCEPTED',
        'Accept the new terms in Apple Business Manager.',
      );
      const current = async () => (await t.orchard.abmTokens.get(COMMAND_LINE, tokenId)).token;
      await t.orchard.abmTokens.recordSyncFailed(await current(), terms);
      await t.orchard.abmTokens.recordSyncFailed(await current(), terms);
      const connected = await current();
      assert.equal(connected.state, 'connected');
      if (connected.state === 'connected') await t.orchard.abmTokens.recordSyncSucceeded(connected, null);
      const orchard = (await entries(`&customerId=${customer.id}`)).filter((e) => e.actor.kind === 'orchard');
      assert.deepEqual(
        orchard.map((e) => [e.action, e.details['appleIssue'] ?? null]).reverse(),
        [
          ['abm_token.status_changed', { from: null, to: 'terms_not_accepted' }],
          ['abm_token.sync_failing', null],
          ['abm_token.status_changed', { from: 'terms_not_accepted', to: null }],
          ['abm_token.sync_recovered', null],
        ],
        'the second failure is no news',
      );
      assert.ok(orchard.every((e) => e.actor.label === 'Orchard'));
    });

    test('a technician reads its customers’ entries only; filters and pages', async () => {
      const mine = (await t.api('POST', '/api/v1/customers', { name: 'Mine' })).json().id as string;
      const theirs = (await t.api('POST', '/api/v1/customers', { name: 'Theirs' })).json().id as string;
      for (let i = 0; i < 5; i++) await t.api('POST', `/api/v1/customers/${mine}/sites`, { name: `Site ${i}` });
      await t.api('POST', `/api/v1/customers/${theirs}/sites`, { name: 'Secret lab' });
      const user = await t.api('POST', '/api/v1/users', {
        email: 'scoped@example.com',
        role: 'read_only',
        customerIds: [mine],
        password: PASSWORD,
      });
      const key = (await t.api('POST', '/api/v1/api-keys', { name: 'ro', userId: user.json().user.id })).json()
        .key as string;

      const seen = await entries('', key);
      assert.ok(seen.length >= 6);
      assert.ok(
        seen.every((e) => e.customerId === mine),
        'no other customer’s entries, no user or key entries',
      );
      const refused = await t.api('GET', `/api/v1/audit-events?customerId=${theirs}`, undefined, {
        authorization: `Bearer ${key}`,
      });
      assert.equal(refused.statusCode, 404);

      const pages: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await t.api(
          'GET',
          `/api/v1/audit-events?customerId=${mine}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        const body = res.json() as { items: AuditEvent[]; nextCursor?: string };
        pages.push(...body.items.map((e) => e.id));
        cursor = body.nextCursor;
      } while (cursor !== undefined);
      assert.deepEqual(
        pages,
        (await entries(`&customerId=${mine}`)).map((e) => e.id),
        'pages add up to the whole list',
      );
      assert.equal((await entries(`&customerId=${mine}&action=site.created`)).length, 5);
      const later = new Date(clock.now().getTime() + 1).toISOString();
      assert.equal((await entries(`&customerId=${mine}&from=${later}`)).length, 0);
      const bad = await t.api('GET', '/api/v1/audit-events?from=yesterday');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().field, 'from');
      assert.equal(
        (await t.api('DELETE', '/api/v1/audit-events')).statusCode,
        404,
        'append-only: nothing deletes entries',
      );
    });

    test('entries older than ORCHARD_AUDIT_RETENTION_DAYS are purged', async () => {
      const before = (await entries()).length;
      assert.ok(before > 0);
      clock.advance(29 * DAY);
      assert.equal(await t.orchard.audit.purgeExpired(), 0);
      await t.api('POST', '/api/v1/customers', { name: 'Recent' });
      clock.advance(2 * DAY);
      assert.equal(await t.orchard.audit.purgeExpired(), before);
      assert.deepEqual(
        (await entries()).map((e) => e.action),
        ['customer.created'],
      );
    });
  });
}
