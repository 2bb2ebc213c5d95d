import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openOrchard } from '../../src/app/orchard.js';
import { loadConfig } from '../../src/config/config.js';
import { freePort, orchard, serve } from '../helpers/cli.js';
import { createTestDatabase, TEST_ADMIN, TEST_API_KEY, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

describe('orchard command: refusing bad configuration', () => {
  test('NODE_ENV=production without ORCHARD_MASTER_KEY refuses to start with a one-line explanation', async () => {
    const result = await orchard(['serve'], { NODE_ENV: 'production', ORCHARD_PUBLIC_URL: 'https://mdm.example.com' });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^orchard: ORCHARD_MASTER_KEY is required in production: set it to 32 random bytes in base64[^\n]*\n$/,
    );
  });

  test('a malformed master key is named, and its value is not echoed', async () => {
    const result = await orchard(['serve'], {
      ORCHARD_MASTER_KEY: 'c2hvcnQta2V5',
      ORCHARD_DATA_DIR: '/tmp/orchard-never',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orchard: ORCHARD_MASTER_KEY [^\n]*\n$/);
    assert.doesNotMatch(result.stderr, /c2hvcnQta2V5/);
  });

  test('a data directory whose database path is a directory is named in one line, not a stack trace', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-bad-data-'));
    try {
      fs.mkdirSync(path.join(dataDir, 'orchard.db'));
      const result = await orchard(['serve'], {
        ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
        ORCHARD_DATA_DIR: dataDir,
      });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `orchard: ORCHARD_DATA_DIR cannot hold the SQLite database ${path.join(dataDir, 'orchard.db')}: that path is a directory\n`,
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

for (const { engine, skip } of await engines()) {
  describe(`orchard command on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine);
    });
    after(() => database.drop());

    test('migrate applies the schema once', async () => {
      const first = await orchard(['migrate'], database.env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /applied: 0001-foundation/);
      const second = await orchard(['migrate'], database.env);
      assert.match(second.stdout, /up to date/);
    });

    test('users and API keys are managed from the CLI; keys work once and stop when revoked', async () => {
      const created = await orchard(
        ['user', 'create', '--email', 'tech@example.com', '--role', 'technician'],
        database.env,
        'a long enough password\n',
      );
      assert.equal(created.code, 0, created.stderr);
      const weak = await orchard(['user', 'create', '--email', 'weak@example.com'], database.env, 'short\n');
      assert.equal(weak.code, 1);
      assert.match(weak.stderr, /^orchard: .*12/);

      const key = await orchard(['api-key', 'create', '--name', 'PSA integration'], database.env);
      assert.equal(key.code, 0, key.stderr);
      const apiKey = key.stdout.trim();
      assert.match(apiKey, /^orch_[0-9A-Za-z]{40}$/);
      assert.match(key.stderr, /cannot be shown again/);

      const list = await orchard(['api-key', 'list'], database.env);
      assert.match(list.stdout, /PSA integration\s+active/);
      assert.equal(list.stdout.includes(apiKey), false, 'list shows a prefix, never the key');

      const port = await freePort();
      const server = await serve(database.env, port);
      try {
        const ok = await fetch(`${server.url}/api/v1/customers`, { headers: { authorization: `Bearer ${apiKey}` } });
        assert.equal(ok.status, 200);
        const prefix = apiKey.slice(0, 12);
        const revoked = await orchard(['api-key', 'revoke', prefix], database.env);
        assert.equal(revoked.code, 0, revoked.stderr);
        const refused = await fetch(`${server.url}/api/v1/customers`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { code: string }).code, 'INVALID_API_KEY');
      } finally {
        const stopped = await server.stop();
        assert.equal(stopped.code, 0, 'SIGTERM is a clean shutdown');
        for (const secret of [
          apiKey,
          TEST_API_KEY,
          TEST_ADMIN.password,
          database.env['ORCHARD_MASTER_KEY'] as string,
        ]) {
          assert.equal(server.output().includes(secret), false, 'no secret in the logs');
        }
      }
    });

    test('an operator unlocks a user with a reset link, and disables and enables it, from the shell', async () => {
      const email = 'locked@example.com';
      const created = await orchard(
        ['user', 'create', '--email', email, '--role', 'read_only'],
        database.env,
        'the first password\n',
      );
      assert.equal(created.code, 0, created.stderr);
      const reset = await orchard(['user', 'reset-password', '--email', email], database.env);
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(reset.stdout.trim(), /^http:\/\/localhost:\d+\/set-password#token=[\w-]+$/);
      assert.match(reset.stderr, /works once/);

      const port = await freePort();
      const server = await serve(database.env, port);
      const login = (password: string) =>
        fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        });
      try {
        const token = new URL(reset.stdout.trim()).hash.replace('#token=', '');
        const chosen = await fetch(`${server.url}/api/v1/auth/password-link`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token, password: 'the password chosen by link' }),
        });
        assert.equal(chosen.status, 204);
        assert.equal((await login('the password chosen by link')).status, 200);

        const disabled = await orchard(['user', 'disable', '--email', email], database.env);
        assert.equal(disabled.code, 0, disabled.stderr);
        assert.equal((await login('the password chosen by link')).status, 403);
        const listed = await orchard(['user', 'list'], database.env);
        assert.match(listed.stdout, /read_only\s+locked@example\.com \(disabled\)/);
        const enabled = await orchard(['user', 'enable', '--email', email], database.env);
        assert.equal(enabled.code, 0, enabled.stderr);
        assert.equal((await login('the password chosen by link')).status, 200);
      } finally {
        await server.stop();
        assert.equal(
          server.output().includes(reset.stdout.trim().split('#token=')[1] ?? '-'),
          false,
          'no link in the logs',
        );
      }
    });

    test('data survives a restart, and SIGTERM lets an in-flight request finish', async () => {
      const port = await freePort();
      let server = await serve(database.env, port);
      const headers = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/api/v1/customers`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'Survivor' }),
      });
      assert.equal(created.status, 201);
      const { id } = (await created.json()) as { id: string };

      // In flight for certain: the server has the headers and half the body when SIGTERM lands.
      const body = JSON.stringify({ name: 'Late site' });
      const request = http.request(`${server.url}/api/v1/customers/${id}/sites`, {
        method: 'POST',
        agent: false, // a fresh connection, so 'connect' fires
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      });
      const late = new Promise<{ status: number | undefined }>((resolve, reject) => {
        request.on('response', (res) => res.resume().on('end', () => resolve({ status: res.statusCode })));
        request.on('error', reject);
      });
      request.write(body.slice(0, 5));
      await new Promise<void>((resolve) => request.on('socket', (socket) => socket.on('connect', () => resolve())));
      await sleep(300);
      const stopped = server.stop('SIGTERM');
      await sleep(300);
      request.end(body.slice(5));
      assert.equal((await late).status, 201);
      assert.equal((await stopped).code, 0);

      server = await serve(database.env, port);
      try {
        const again = await fetch(`${server.url}/api/v1/customers/${id}/sites`, { headers });
        const body = (await again.json()) as { items: Array<{ name: string }> };
        assert.deepEqual(
          body.items.map((s) => s.name),
          ['Late site'],
        );
      } finally {
        await server.stop();
      }
    });

    test('rotate-master-key re-encrypts stored secrets under the new key', async () => {
      const oldKey = database.env['ORCHARD_MASTER_KEY'] as string;
      const before = await openOrchard(loadConfig(database.env));
      const id = await before.secrets.put('rotation-test', 'rotate me');
      await before.close();

      const newKey = randomBytes(32).toString('base64');
      const rotated = await orchard(['rotate-master-key'], {
        ...database.env,
        ORCHARD_MASTER_KEY: newKey,
        ORCHARD_MASTER_KEY_PREVIOUS: oldKey,
      });
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /re-encrypted [1-9]\d* secret/);

      const after = await openOrchard(loadConfig({ ...database.env, ORCHARD_MASTER_KEY: newKey }));
      try {
        assert.equal((await after.secrets.get(id))?.toString(), 'rotate me', 'readable with only the new key');
      } finally {
        await after.close();
      }
    });
  });
}
