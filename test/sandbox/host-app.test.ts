// Mounted inside Orchard's own app (as the lead wires it: prefix /sandbox), the sandbox keeps
// Apple's error format and its own body parsing, and Orchard keeps problem+json everywhere else.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openOrchard, type Orchard } from '../../src/app/orchard.js';
import { loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';
import { sandboxPlugin } from '../../src/sandbox/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { DepClient, PUBLIC_URL, TestClock, createServer, tokenFor, type Sandbox } from './support.js';

describe('the sandbox inside the Orchard app', () => {
  let database: TestDatabase;
  let orchard: Orchard;
  let app: FastifyInstance;
  let sandbox: Sandbox;

  before(async () => {
    database = await createTestDatabase('sqlite');
    // ORCHARD_SANDBOX=0: this test mounts the plugin itself, whatever the app does by default.
    const config = loadConfig({ ...database.env, ORCHARD_SANDBOX: '0' });
    orchard = await openOrchard(config);
    app = await buildApp(orchard, { logger: false, webDist: path.join(database.dataDir, 'no-web') });
    const clock = new TestClock();
    await app.register(sandboxPlugin, {
      prefix: '/sandbox',
      dataDir: path.join(database.dataDir, 'sandbox'),
      clock: clock.now,
      publicUrl: PUBLIC_URL,
    });
    await app.ready();
    sandbox = {
      app,
      dataDir: database.dataDir,
      clock,
      baseUrl: PUBLIC_URL,
      close: async () => undefined,
      destroy: async () => undefined,
    };
  });
  after(async () => {
    await app?.close();
    await orchard?.close();
    await database?.drop();
  });

  test('DEP calls work with Apple\'s "application/json;charset=UTF8" and errors stay plain Apple bodies', async () => {
    const { id, keyPair } = await createServer(sandbox, 'Inside Orchard');
    const dep = new DepClient(sandbox, await tokenFor(sandbox, id, keyPair));
    assert.equal((await dep.call('POST', '/server/devices', { limit: 5 })).status, 200);
    const error = await dep.call('POST', '/devices/sync', {});
    assert.equal(error.status, 400);
    assert.equal(error.body, '"CURSOR_REQUIRED"');
    assert.doesNotMatch(String(error.headers['content-type']), /problem/);
    const unknown = await dep.call('GET', '/no-such-endpoint');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body, 'NOT_FOUND');
  });

  test('a dropped-connection fault rejects an injected call instead of hanging it', async () => {
    const { id, keyPair } = await createServer(sandbox, 'Dropper');
    const dep = new DepClient(sandbox, await tokenFor(sandbox, id, keyPair));
    await dep.login();
    await app.inject({
      method: 'POST',
      url: `/sandbox/abm/api/mdm-servers/${id}/faults`,
      payload: [{ kind: 'dropConnection' }],
    });
    await assert.rejects(dep.call('GET', '/account'));
    assert.equal((await dep.call('GET', '/account')).status, 200);
  });

  test("outside /sandbox Orchard's problem+json answers are untouched", async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /application\/problem\+json/);
  });
});
