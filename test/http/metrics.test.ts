// /metrics is open in development; in production it answers only Prometheus with
// ORCHARD_METRICS_TOKEN, and nobody at all while no token is set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdefghijklmnopqrstuvwxyz';
const PRODUCTION = { NODE_ENV: 'production', ORCHARD_PUBLIC_URL: 'https://orchard.example.com' };

function scrape(t: TestOrchard, authorization?: string) {
  return t.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: authorization === undefined ? {} : { authorization },
  });
}

describe('/metrics in development without a token', () => {
  let t: TestOrchard;
  before(async () => {
    t = await startTestOrchard('sqlite');
  });
  after(() => t.close());

  test('is open, as a developer expects', async () => {
    const res = await scrape(t);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /orchard_http_requests_total/);
  });
});

describe('/metrics in production without ORCHARD_METRICS_TOKEN', () => {
  let t: TestOrchard;
  before(async () => {
    t = await startTestOrchard('sqlite', { env: PRODUCTION });
  });
  after(() => t.close());

  test('answers nobody, and says which variable turns it on', async () => {
    for (const authorization of [undefined, `Bearer ${METRICS_TOKEN}`]) {
      const res = await scrape(t, authorization);
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().code, 'METRICS_DISABLED');
      assert.match(res.json().detail, /ORCHARD_METRICS_TOKEN/);
      assert.doesNotMatch(res.body, /orchard_http_requests_total/);
    }
  });
});

describe('/metrics in production with ORCHARD_METRICS_TOKEN', () => {
  let t: TestOrchard;
  before(async () => {
    t = await startTestOrchard('sqlite', { env: { ...PRODUCTION, ORCHARD_METRICS_TOKEN: METRICS_TOKEN } });
  });
  after(() => t.close());

  test('refuses a scrape without the token, or with another one, with 401 and WWW-Authenticate', async () => {
    for (const authorization of [undefined, 'Bearer not-the-token', `Bearer ${METRICS_TOKEN}x`, METRICS_TOKEN]) {
      const res = await scrape(t, authorization);
      assert.equal(res.statusCode, 401, String(authorization));
      assert.equal(res.json().code, 'METRICS_TOKEN_INVALID');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      assert.doesNotMatch(res.body, /orchard_/);
    }
  });

  test('an API key is not a metrics token', async () => {
    const res = await t.api('GET', '/metrics');
    assert.equal(res.statusCode, 401);
  });

  test('serves Prometheus text to the bearer of the token', async () => {
    const res = await scrape(t, `Bearer ${METRICS_TOKEN}`);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /orchard_http_requests_total/);
  });
});

describe('/metrics in development with ORCHARD_METRICS_TOKEN', () => {
  let t: TestOrchard;
  before(async () => {
    t = await startTestOrchard('sqlite', { env: { ORCHARD_METRICS_TOKEN: METRICS_TOKEN } });
  });
  after(() => t.close());

  test('a configured token is required in every mode', async () => {
    assert.equal((await scrape(t)).statusCode, 401);
    assert.equal((await scrape(t, `Bearer ${METRICS_TOKEN}`)).statusCode, 200);
  });
});

test('a metrics token shorter than 32 characters is refused at start, naming the variable', () => {
  assert.throws(
    () => loadConfig({ ORCHARD_METRICS_TOKEN: 'short' }),
    (error: unknown) =>
      error instanceof ConfigError && /^ORCHARD_METRICS_TOKEN must be at least 32/.test(error.message),
  );
});
