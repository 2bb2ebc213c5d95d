// Security headers on everything Orchard serves (API, web app, /docs, the sandbox's ABM page),
// HSTS only behind an https public URL, and a missing asset that is a real, uncached 404.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { TEST_API_KEY, createTestDatabase, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';

/** What every response carries, whatever its type. */
function assertCommonHeaders(res: LightMyRequestResponse, what: string): void {
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /default-src 'self'/, `${what}: CSP`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: frame-ancestors`);
  assert.match(csp, /script-src 'self'(;|$)/, `${what}: scripts from this origin only, none inline`);
  assert.match(csp, /object-src 'none'/, `${what}: object-src`);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(res.headers['referrer-policy'], 'same-origin', `${what}: referrer-policy`);
  assert.equal(res.headers['x-frame-options'], 'DENY', `${what}: x-frame-options`);
}

/** A stand-in for `npm run build:web`: an index.html and one hashed asset. */
function fakeWebDist(dir: string): string {
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><title>Orchard</title><script type="module" src="/assets/index-abc123.js"></script>',
  );
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("orchard");\n');
  return dir;
}

describe('security headers over plain http (development)', () => {
  let t: TestOrchard;
  before(async () => {
    const database = await createTestDatabase('sqlite');
    t = await startTestOrchard('sqlite', { database, webDist: fakeWebDist(path.join(database.dataDir, 'web')) });
  });
  after(async () => {
    await t.close();
    await t.database.drop();
  });

  test('an API answer carries CSP, nosniff, a referrer policy and no HSTS', async () => {
    const res = await t.api('GET', '/api/v1/system');
    assert.equal(res.statusCode, 200);
    assertCommonHeaders(res, 'API');
    assert.equal(res.headers['strict-transport-security'], undefined);
    assert.doesNotMatch(String(res.headers['content-security-policy']), /upgrade-insecure-requests/);
  });

  test('errors carry them too: a 401 and an unknown API path', async () => {
    const unauthenticated = await t.app.inject({ method: 'GET', url: '/api/v1/customers' });
    assert.equal(unauthenticated.statusCode, 401);
    assertCommonHeaders(unauthenticated, '401');
    const missing = await t.api('GET', '/api/v1/nothing-here');
    assert.equal(missing.statusCode, 404);
    assertCommonHeaders(missing, '404');
  });

  test('the web app page carries them, and its hashed assets are cached for a year', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/customers' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assertCommonHeaders(page, 'web app');
    const asset = await t.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const byName = await t.app.inject({ method: 'GET', url: '/index.html' });
    assert.equal(byName.headers['cache-control'], 'no-cache', 'index.html asked for by name is revalidated too');
  });

  test('a missing asset is a 404 problem that no cache keeps, not the app page cached for a year', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/assets/nope.js' });
    assert.equal(res.statusCode, 404);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.json().code, 'NOT_FOUND');
    assertCommonHeaders(res, 'missing asset');
  });

  test('/docs carries them and its page loads its scripts from files, none inline', async () => {
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assertCommonHeaders(docs, '/docs');
    assert.doesNotMatch(docs.body, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline <script>');
    const initializer = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.equal(initializer.statusCode, 200);
    assert.match(initializer.body, /"validatorUrl":null/, 'no request to validator.swagger.io');
  });

  test("the sandbox's ABM page carries them and keeps its script and style in files of its own", async () => {
    const page = await t.api('GET', '/sandbox/abm');
    assert.equal(page.statusCode, 200);
    assertCommonHeaders(page, 'sandbox portal');
    assert.doesNotMatch(page.body, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline <script>');
    assert.doesNotMatch(page.body, /<style/, 'no inline <style>');
    assert.match(page.body, /<script src="\/sandbox\/abm\/portal\.js"><\/script>/);
    assert.match(page.body, /<link rel="stylesheet" href="\/sandbox\/abm\/portal\.css">/);
    for (const [file, type] of [
      ['portal.js', /^text\/javascript/],
      ['portal.css', /^text\/css/],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url: `/sandbox/abm/${file}` });
      assert.equal(res.statusCode, 200, file);
      assert.match(String(res.headers['content-type']), type);
      assertCommonHeaders(res, file);
    }
  });
});

describe('security headers behind an https public URL', () => {
  let t: TestOrchard;
  before(async () => {
    t = await startTestOrchard('sqlite', { env: { ORCHARD_PUBLIC_URL: 'https://orchard.example.com' } });
  });
  after(() => t.close());

  test('HSTS is sent, for a year, and the CSP upgrades insecure requests', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/system',
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    });
    assert.equal(res.statusCode, 200);
    assertCommonHeaders(res, 'https API');
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(String(res.headers['content-security-policy']), /upgrade-insecure-requests/);
  });
});
