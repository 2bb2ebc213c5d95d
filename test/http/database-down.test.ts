import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openOrchard } from '../../src/app/orchard.js';
import { loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';

test('with the database unreachable, API calls answer 503 DATABASE_UNAVAILABLE and /healthz 503, not a 500', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-dbdown-'));
  // Port 1 on loopback: nothing listens, so every connection is refused.
  const config = loadConfig({
    ORCHARD_DATA_DIR: dataDir,
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/orchard',
    ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
    ORCHARD_SANDBOX: '0',
  });
  const orchard = await openOrchard(config, { migrate: false });
  const app = await buildApp(orchard, { logger: false, webDist: path.join(dataDir, 'no-web') });
  try {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/customers',
      headers: { authorization: 'Bearer some-key' },
    });
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.json().code, 'DATABASE_UNAVAILABLE');
    assert.match(res.json().detail, /cannot reach its database/);
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 503);
  } finally {
    await app.close();
    await orchard.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
