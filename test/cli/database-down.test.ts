import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ORCHARD_MAIN, ROOT, collect, freePort, orchard } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { postgresSkipReason, postgresUrl } from '../helpers/services.js';
import { tcpProxy, type TcpProxy } from '../helpers/tcp.js';

/** Resolves once `check` holds, or fails naming what was awaited and what the process said. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  output: () => string,
  withinMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the process said:\n${output()}`);
    await sleep(100);
  }
}

describe('orchard command with its PostgreSQL down', { skip: await postgresSkipReason() }, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  /** The test database's URL, reached through the proxy. */
  let behindProxy: string;
  before(async () => {
    database = await createTestDatabase('postgres');
    const target = new URL(postgresUrl);
    proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, 'refuse');
    const url = new URL(database.env['DATABASE_URL'] ?? '');
    url.host = `127.0.0.1:${proxy.port}`;
    behindProxy = url.toString();
  });
  after(async () => {
    await proxy.close();
    await database.drop();
  });

  test('serve says in one line per reason that the database is unreachable, retries, and starts once it answers', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [ORCHARD_MAIN, 'serve'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        ...database.env,
        DATABASE_URL: behindProxy,
        ORCHARD_DB_CONNECT_TIMEOUT_SECONDS: '1',
        PORT: String(port),
      },
      cwd: ROOT,
    });
    const done = collect(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const said = () => stderr;
    try {
      // Down: nothing listens.
      await until('the unreachable line', () => /cannot reach the database/.test(stderr), said);
      await proxy.setMode('silent');
      // Up but mute: it accepts and never answers, attempt after attempt.
      const acceptedBefore = proxy.accepted;
      await until('two attempts on the mute server', () => proxy.accepted >= acceptedBefore + 2, said);
      await proxy.setMode('forward');
      await until(
        '/healthz to answer 200',
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
        said,
      );
      assert.equal(child.exitCode, null, 'still running');
    } finally {
      child.kill('SIGTERM');
      await done;
    }

    const lines = stderr.trimEnd().split('\n');
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    assert.deepEqual(
      lines.filter((line) => /database/.test(line)),
      [
        lines.find((line) => /cannot reach/.test(line)),
        lines.find((line) => /did not answer in time/.test(line)),
        'orchard: the database answers; starting',
      ],
      stderr,
    );
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^orchard: cannot reach the database at 127\\.0\\.0\\.1:${proxy.port} \\(.*ECONNREFUSED.*\\); retrying until it answers$`,
      ),
    );
    assert.match(
      lines[1] ?? '',
      /^orchard: the database did not answer in time at 127\.0\.0\.1:\d+ \(.*timeout.*\); retrying until it answers$/,
    );
  });

  test('migrate with the database down fails at once with one line', async () => {
    await proxy.setMode('refuse');
    const result = await orchard(['migrate'], { ...database.env, DATABASE_URL: behindProxy });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orchard: cannot reach the database \(.*ECONNREFUSED.*\)\n$/);
  });

  test('serve against a database that does not exist stops with one line instead of waiting', async () => {
    const url = new URL(postgresUrl);
    url.pathname = `/orchard_missing_${randomBytes(4).toString('hex')}`;
    const result = await orchard(['serve'], {
      ...database.env,
      DATABASE_URL: url.toString(),
      PORT: String(await freePort()),
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^orchard: the database named in DATABASE_URL does not exist \(database "orchard_missing_[0-9a-f]+" does not exist\)\n$/,
    );
  });
});
