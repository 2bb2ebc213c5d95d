// Webhook delivery survives SIGKILL, with real `orchard serve` processes on one PostgreSQL:
// the process sending a message is killed while the receiver holds the request open; two
// other processes go on. Every event is acknowledged by the receiver exactly once, the one
// cut short is sent again with the same webhook-id, and events written while the first
// process was dead arrive too.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { openDb } from '../../src/store/db.js';
import { emitEvents } from '../../src/domain/events.js';
import { loadConfig } from '../../src/config/config.js';
import { repositoriesOf } from '../../src/store/repositories/index.js';
import type { Server } from '../helpers/cli.js';
import { TEST_API_KEY, createTestDatabase } from '../helpers/orchard.js';
import { postgresSkipReason } from '../helpers/services.js';
import { startServe, until } from './processes.js';

describe('webhook delivery survives SIGKILL with processes on PostgreSQL', { skip: await postgresSkipReason() }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  test('the sender is killed mid-request: the message is sent again with its id, every event is acknowledged once', async () => {
    // The receiver holds the first request it gets open and never answers it; it answers 204
    // to the rest, and records every request it acknowledged.
    const arrived: string[] = [];
    const acknowledged: { id: string; body: string; headers: http.IncomingHttpHeaders }[] = [];
    let held: http.ServerResponse | undefined;
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        arrived.push(id);
        if (held === undefined) {
          held = res;
          return;
        }
        acknowledged.push({ id, body, headers: req.headers });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => receiver.close(() => resolve())));
    receiver.on('connection', (socket) => cleanups.push(async () => void socket.destroy()));

    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.drop());
    const env = {
      ORCHARD_DATA_DIR: database.dataDir,
      ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
      ORCHARD_BOOTSTRAP_API_KEY: TEST_API_KEY,
      ORCHARD_SANDBOX: '0',
      DATABASE_URL: database.env['DATABASE_URL'] ?? '',
      // A lease of 2 × 2 + 5 = 9 s: long enough never to run out under a live sender.
      ORCHARD_WEBHOOK_TIMEOUT_SECONDS: '2',
      LOG_LEVEL: 'warn',
    };
    const servers: Server[] = [];
    cleanups.push(async () => {
      for (const s of servers) await s.stop('SIGKILL');
    });
    const first = await startServe(env);
    servers.push(first);

    const hook = await fetch(`${first.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        events: ['device.added'],
      }),
    });
    assert.equal(hook.status, 201);
    const { secret } = (await hook.json()) as { secret: string };

    // Events written as a sync writes them: into the outbox, from a connection of the test's own.
    const db = openDb(loadConfig(env).database);
    cleanups.push(() => db.close());
    const outbox = repositoriesOf(db.kysely).outbox;
    const emit = (from: number, count: number) =>
      emitEvents(
        outbox,
        { now: () => new Date() },
        Array.from({ length: count }, (_, i) => ({
          type: 'device.added' as const,
          customerId: null,
          data: { serialNumber: `KILL${String(from + i).padStart(4, '0')}` },
        })),
      );
    await emit(0, 5);

    // The other four answered and recorded as delivered: what is in flight is the held one alone.
    // (Killed between an answer and its record, a sender cannot know the message arrived: it is
    // sent again, with the same webhook-id for the receiver to recognise. That is not this case.)
    await until(
      async () => {
        if (held === undefined || acknowledged.length < 4) return false;
        const delivered = await db.kysely
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('state', '=', 'delivered')
          .execute();
        return delivered.length === 4;
      },
      20_000,
      'the first process to deliver four of the five',
    );
    const cutShort = arrived[0] ?? '';
    await first.stop('SIGKILL');
    held?.destroy();
    await emit(5, 3);

    servers.push(await startServe(env), await startServe(env));
    await until(async () => acknowledged.length >= 8, 40_000, 'the other two processes to deliver the rest');
    // Give a duplicate, if any were coming, the time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const serials = acknowledged.map((a) =>
      String((JSON.parse(a.body) as { data: { serialNumber: string } }).data.serialNumber),
    );
    assert.deepEqual(
      [...serials].sort(),
      Array.from({ length: 8 }, (_, i) => `KILL${String(i).padStart(4, '0')}`),
      'every event acknowledged, none twice',
    );
    assert.equal(new Set(acknowledged.map((a) => a.id)).size, 8);
    assert.ok(
      acknowledged.some((a) => a.id === cutShort),
      'the message cut short was sent again with the same webhook-id',
    );
    for (const a of acknowledged) {
      new Webhook(secret).verify(a.body, {
        'webhook-id': a.id,
        'webhook-timestamp': String(a.headers['webhook-timestamp']),
        'webhook-signature': String(a.headers['webhook-signature']),
      });
    }
  });
});
