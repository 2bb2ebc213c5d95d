// Webhooks end to end, on each engine: a real HTTP receiver started here gets Orchard's
// messages; each one's signature is checked with the `standardwebhooks` package (an
// implementation sharing no code with Orchard's); `abm_token.expiring` arrives for a sandbox
// token issued with 10 days left and `device.added` after a sync; a receiver answering 500
// gets the same message again, later; a receiver that fails for a day is disabled, and the
// audit trail says so.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { dumpDatabase, ManualClock, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { connectToken, customerWithSites, json, startSyncOrchard, type SyncHarness } from './support.js';

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly message: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A webhook receiver on a free port: keeps what arrives; answers what `answer` says. */
async function receiver(answer: (message: Received) => number = () => 204) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const message = { headers: req.headers, body, message: JSON.parse(body) as Received['message'] };
      received.push(message);
      res.statusCode = answer(message);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/orchard`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const DAY = 24 * 60 * 60 * 1000;

for (const { engine, skip } of await engines()) {
  describe(`webhooks on ${engine}`, { skip }, () => {
    let h: SyncHarness;
    // A minute ahead of the sandbox, which issues tokens by the real clock: "10 days left" is
    // then 10 days less a minute, not 10 days and the seconds the test took.
    const clock = new ManualClock(new Date(Date.now() + 60_000));
    let good: Awaited<ReturnType<typeof receiver>>;
    let failing: Awaited<ReturnType<typeof receiver>>;
    let secret = '';
    let hookId = '';

    before(async () => {
      h = await startSyncOrchard(engine, { clock });
      good = await receiver();
      failing = await receiver(() => 500);
    });
    after(async () => {
      await h.close();
      await good.close();
      await failing.close();
    });

    const verify = (r: Received) =>
      new Webhook(secret).verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      });

    test('a webhook’s secret is shown once and kept sealed; Send test arrives signed as Standard Webhooks says', async () => {
      const created = json(
        await h.api('POST', '/api/v1/webhooks', {
          url: good.url,
          events: ['abm_token.expiring', 'abm_token.renewed', 'device.added'],
          description: 'PSA',
        }),
        201,
      );
      secret = created['secret'] as string;
      hookId = created['webhook']['id'] as string;
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const listed = await h.api('GET', '/api/v1/webhooks');
      assert.ok(!listed.body.includes(secret), 'the list never shows the secret');
      const t = { orchard: h.orchard, database: h.database, config: h.orchard.config } as unknown as TestOrchard;
      assert.ok(!(await dumpDatabase(t)).toString('latin1').includes(secret.slice(6)), 'sealed at rest');

      const queued = json(await h.api('POST', `/api/v1/webhooks/${hookId}/test`), 202);
      assert.equal(queued['state'], 'pending');
      await h.orchard.deliverer.runPass();
      assert.equal(good.received.length, 1);
      const [test1] = good.received;
      assert.ok(test1);
      assert.deepEqual(verify(test1), test1.message, 'an independent implementation accepts the signature');
      assert.equal(test1.message.type, 'webhook.test');
      assert.equal(test1.headers['webhook-id'], queued['id']);
      assert.equal(test1.headers['content-type'], 'application/json');
      assert.throws(() =>
        new Webhook(secret).verify(`${test1.body} `, {
          'webhook-id': String(test1.headers['webhook-id']),
          'webhook-timestamp': String(test1.headers['webhook-timestamp']),
          'webhook-signature': String(test1.headers['webhook-signature']),
        }),
      );
      const deliveries = json(await h.api('GET', `/api/v1/webhooks/${hookId}/deliveries`));
      assert.equal(deliveries['items'][0]['state'], 'delivered');
      assert.equal(deliveries['items'][0]['attemptLog'][0]['status'], 204);
    });

    test('an admin disabling and enabling a webhook is in the audit trail; an empty customer list is refused', async () => {
      const other = json(await h.api('POST', '/api/v1/webhooks', { url: good.url, events: ['device.added'] }), 201);
      const id = other['webhook']['id'] as string;
      json(await h.api('PATCH', `/api/v1/webhooks/${id}`, { enabled: false }));
      json(await h.api('PATCH', `/api/v1/webhooks/${id}`, { enabled: true }));
      const actions = (
        json(await h.api('GET', '/api/v1/audit-events?limit=10'))['items'] as {
          action: string;
          target: { id: string };
        }[]
      )
        .filter((e) => e.target.id === id)
        .map((e) => e.action);
      assert.deepEqual(actions, ['webhook.enabled', 'webhook.disabled', 'webhook.created']);
      const empty = await h.api('PATCH', `/api/v1/webhooks/${id}`, { customerIds: [] });
      assert.equal(empty.statusCode, 400);
      assert.equal(empty.json().field, 'customerIds');
      assert.equal((await h.api('DELETE', `/api/v1/webhooks/${id}`)).statusCode, 204);
    });

    test('abm_token.expiring for a sandbox token issued with 10 days left, once; device.added after a sync', async () => {
      const acme = await customerWithSites(h, 'Acme Corp', ['Main Office']);
      const token = json(
        await h.api('POST', '/api/v1/abm-tokens', { customerId: acme.customerId, siteId: acme.siteIds[0] }),
        201,
      );
      const publicKeyPem = (await h.api('GET', `/api/v1/abm-tokens/${token['id']}/public-key`)).body;
      const server = json(await h.portal('POST', '/mdm-servers', { name: 'Acme MDM', publicKeyPem }), 201);
      const file = await h.portal('GET', `/mdm-servers/${server['id']}/token?expiresInDays=10`);
      const uploaded = await h.app.inject({
        method: 'PUT',
        url: `/api/v1/abm-tokens/${token['id']}/token`,
        headers: {
          authorization: `Bearer ${(h.orchard.config.bootstrap.apiKey ?? '') as string}`,
          'content-type': 'application/octet-stream',
        },
        payload: file.rawPayload,
      });
      assert.equal(json(uploaded)['status'], 'expiring_soon');

      assert.equal(await h.orchard.abmTokens.sendExpiryNotices(), 1);
      assert.equal(await h.orchard.abmTokens.sendExpiryNotices(), 0, 'once per threshold');
      json(await h.portal('POST', '/devices', { count: 3, mdmServerId: server['id'] }), 201);
      await h.orchard.sync.runUntilIdle();
      await h.orchard.deliverer.runPass();

      const messages = good.received.slice(1);
      for (const m of messages) assert.deepEqual(verify(m), m.message);
      const expiring = messages.filter((m) => m.message.type === 'abm_token.expiring');
      assert.equal(expiring.length, 1);
      assert.equal(expiring[0]?.message.data['daysLeft'], 10);
      assert.equal(expiring[0]?.message.data['customerName'], 'Acme Corp');
      assert.match(String(expiring[0]?.message.data['statusDetail']), /expires in 10 days.*Download Token/);
      const added = messages.filter((m) => m.message.type === 'device.added');
      assert.equal(added.length, 3);
      assert.ok(
        added.every(
          (m) => m.message.data['abmTokenId'] === token['id'] && m.message.data['siteName'] === 'Main Office',
        ),
      );
      assert.equal(new Set(messages.map((m) => m.headers['webhook-id'])).size, messages.length, 'one id per message');

      // A second sync finds the same devices: nothing is added again.
      json(await h.api('POST', `/api/v1/abm-tokens/${token['id']}/sync`), 202);
      await h.orchard.sync.runUntilIdle();
      await h.orchard.deliverer.runPass();
      assert.equal(good.received.filter((m) => m.message.type === 'device.added').length, 3);

      // Seven days on, the 7-day reminder; renewing starts the reminders over.
      clock.advance(4 * DAY);
      assert.equal(await h.orchard.abmTokens.sendExpiryNotices(), 1);
      await h.orchard.deliverer.runPass();
      assert.equal(good.received.at(-1)?.message.data['daysLeft'], 6);
    });

    test('a receiver answering 500 gets the same message again, later; after a day it is disabled, and the audit trail says so', async () => {
      const created = json(
        await h.api('POST', '/api/v1/webhooks', { url: failing.url, events: ['abm_token.renewed'] }),
        201,
      );
      const id = created['webhook']['id'] as string;
      const acme = json(await h.api('GET', '/api/v1/customers?q=Acme'))['items'][0];
      const site = json(await h.api('GET', `/api/v1/customers/${acme['id']}/sites`))['items'][0];
      const { tokenId, serverId } = await connectToken(h, acme['id'], site['id'], 'Acme Second MDM');
      // Renew: a fresh token file for the same MDM server.
      const file = await h.portal('GET', `/mdm-servers/${serverId}/token`);
      const renewed = await h.app.inject({
        method: 'PUT',
        url: `/api/v1/abm-tokens/${tokenId}/token`,
        headers: {
          authorization: `Bearer ${h.orchard.config.bootstrap.apiKey ?? ''}`,
          'content-type': 'application/octet-stream',
        },
        payload: file.rawPayload,
      });
      assert.equal(renewed.statusCode, 200, renewed.body);

      await h.orchard.deliverer.runPass();
      assert.equal(failing.received.length, 1);
      await h.orchard.deliverer.runPass();
      assert.equal(failing.received.length, 1, 'not again before its time');
      clock.advance(5_000);
      await h.orchard.deliverer.runPass();
      assert.equal(failing.received.length, 2, 'retried after 5 s');
      assert.equal(failing.received[0]?.headers['webhook-id'], failing.received[1]?.headers['webhook-id']);
      assert.equal(failing.received[0]?.body, failing.received[1]?.body, 'the same message, byte for byte');
      // The good receiver wanted renewals too, and got this one once.
      assert.equal(good.received.filter((m) => m.message.type === 'abm_token.renewed').length, 1);

      for (let i = 0; i < 40 && failing.received.length < 30; i++) {
        clock.advance(2 * 60 * 60 * 1000);
        await h.orchard.deliverer.runPass();
      }
      const deliveries = json(await h.api('GET', `/api/v1/webhooks/${id}/deliveries`))['items'];
      assert.equal(deliveries[0]['state'], 'failed');
      assert.equal(deliveries[0]['attemptLog'].length, failing.received.length, 'every attempt in the log');
      assert.ok(
        failing.received.length >= 10 && failing.received.length <= 16,
        `${failing.received.length} attempts in a day`,
      );
      const hook = json(await h.api('GET', `/api/v1/webhooks/${id}`));
      assert.ok(hook['disabledAt']);
      assert.match(hook['disabledReason'], /gave up after a day/);
      const audit = (
        json(await h.api('GET', '/api/v1/audit-events?action=webhook.disabled'))['items'] as {
          actor: { kind: string };
          target: { id: string };
        }[]
      ).filter((e) => e.target.id === id);
      assert.deepEqual(
        audit.map((e) => e.actor.kind),
        ['orchard'],
      );
    });
  });
}

for (const { engine, skip } of await engines()) {
  describe(`metrics to alert on, on ${engine}`, { skip }, () => {
    let h: SyncHarness;
    before(async () => {
      h = await startSyncOrchard(engine);
    });
    after(() => h.close());

    test('each token’s expiry, status and last good sync; sync durations; webhook backlog and attempts', async () => {
      const acme = await customerWithSites(h, 'Acme Corp', ['Main Office']);
      const { tokenId, serverId } = await connectToken(h, acme.customerId, acme.siteIds[0] ?? '', 'Acme MDM');
      json(await h.portal('POST', '/devices', { count: 2, mdmServerId: serverId }), 201);
      await h.orchard.sync.runUntilIdle();
      const closed = await receiver(() => 503);
      json(await h.api('POST', '/api/v1/webhooks', { url: closed.url, events: ['device.added'] }), 201);
      json(await h.portal('POST', '/devices', { count: 1, mdmServerId: serverId }), 201);
      json(await h.api('POST', `/api/v1/abm-tokens/${tokenId}/sync`), 202);
      await h.orchard.sync.runUntilIdle();
      await h.orchard.deliverer.runPass();
      await closed.close();

      const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
      const token = json(await h.api('GET', `/api/v1/abm-tokens/${tokenId}`));
      const labels = `token_id="${tokenId}",customer="Acme Corp",site="Main Office",mdm_server="Acme MDM"`;
      const value = (name: string) => {
        const line = text.split('\n').find((l) => l.startsWith(name));
        assert.ok(line, `${name} in /metrics`);
        return Number(line.split(' ').at(-1));
      };
      assert.equal(
        value(`orchard_abm_token_expiry_timestamp_seconds{${labels}}`),
        Date.parse(token['expiresAt'] as string) / 1000,
      );
      assert.equal(value(`orchard_abm_token_status{${labels},status="active"}`), 1);
      assert.equal(value(`orchard_abm_token_status{${labels},status="expired"}`), 0);
      assert.equal(
        value(`orchard_abm_token_last_sync_success_timestamp_seconds{${labels}}`),
        Date.parse(token['lastSyncAt'] as string) / 1000,
      );
      assert.equal(value('orchard_sync_duration_seconds_count{outcome="synced"}'), 2);
      assert.equal(value('orchard_webhook_delivery_attempts_total{outcome="failed"}'), 1);
      assert.equal(value('orchard_webhook_backlog{kind="deliveries"}'), 1, 'waiting for its retry');
    });
  });
}
