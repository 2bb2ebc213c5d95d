// `orchard serve` with ORCHARD_PROCESSES=2: two processes answer on one port and share the
// database, /metrics counts both, one that dies is replaced, and SIGTERM stops them all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, serve, type Server } from '../helpers/cli.js';
import { createTestDatabase, TEST_API_KEY, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

/** Process ids of the request log lines for `url`, in order. */
function answeredBy(server: Server, url: string): number[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { pid: number; msg: string; req?: { url: string } })
    .filter((entry) => entry.msg === 'request completed' && entry.req?.url === url)
    .map((entry) => entry.pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const { engine, skip } of await engines()) {
  describe(`orchard serve with two processes on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let server: Server;
    const headers = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
    // A new connection per request: Node's cluster hands out connections, not requests.
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: { ...headers, connection: 'close' },
        signal: AbortSignal.timeout(5000),
      });

    before(async () => {
      database = await createTestDatabase(engine);
      server = await serve({ ...database.env, LOG_LEVEL: 'info', ORCHARD_PROCESSES: '2' }, await freePort());
      // serve() returns once one process answers /healthz; the other may still be starting.
      const deadline = Date.now() + 30_000;
      while ((server.output().match(/Orchard is ready at/g)?.length ?? 0) < 2) {
        assert.ok(Date.now() < deadline, `the second process never started:\n${server.output()}`);
        await sleep(50);
      }
    });
    after(async () => {
      if (server.child.exitCode === null) await server.stop('SIGKILL');
      await database.drop();
    });

    test('both processes answer on the one port, over one database, bootstrapped once', async () => {
      const created = await call('/api/v1/customers', { method: 'POST', body: JSON.stringify({ name: 'Shared' }) });
      assert.equal(created.status, 201);
      for (let i = 0; i < 10; i++) {
        const list = await call('/api/v1/customers');
        const body = (await list.json()) as { items: Array<{ name: string }> };
        assert.deepEqual(
          body.items.map((c) => c.name),
          ['Shared'],
          'every process sees what another wrote',
        );
      }
      await sleep(200);
      assert.equal(new Set(answeredBy(server, '/api/v1/customers')).size, 2, 'two processes answered');
      assert.equal(server.output().match(/created the first admin/g)?.length, 1, 'one bootstrap, not one per process');
    });

    test('/metrics, from whichever process answers, counts the requests of both', async () => {
      const before = answeredBy(server, '/api/v1/system').length;
      for (let i = 0; i < 6; i++) assert.equal((await call('/api/v1/system')).status, 200);
      await sleep(200);
      assert.equal(answeredBy(server, '/api/v1/system').length - before, 6);
      for (let i = 0; i < 2; i++) {
        const text = await (await call('/metrics')).text();
        const counted =
          /^orchard_http_requests_total\{method="GET",route="\/api\/v1\/system",status="200"\} (\d+)$/m.exec(text);
        assert.equal(Number(counted?.[1]), before + 6, 'the count of both processes, not of the one asked');
      }
    });

    test('a process that dies is replaced, and SIGTERM then stops every process cleanly', async () => {
      const [victim] = answeredBy(server, '/api/v1/customers');
      assert.ok(victim !== undefined);
      process.kill(victim, 'SIGKILL');
      const deadline = Date.now() + 15_000;
      while (!/starting another/.test(server.output()) || answeredBy(server, '/healthz').length === 0) {
        assert.ok(Date.now() < deadline, `no replacement:\n${server.output()}`);
        await call('/healthz').catch(() => undefined);
        await sleep(100);
      }
      // Wait for the replacement to answer too.
      const pids = new Set<number>();
      while (pids.size < 2) {
        assert.ok(Date.now() < deadline, `the replacement never answered:\n${server.output()}`);
        await call('/healthz');
        await sleep(50);
        for (const pid of answeredBy(server, '/healthz')) if (pid !== victim) pids.add(pid);
      }
      assert.equal(alive(victim), false);

      const stopped = await server.stop('SIGTERM');
      assert.equal(stopped.code, 0, stopped.stderr);
      for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} outlived the supervisor`);
    });
  });
}
