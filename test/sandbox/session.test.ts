// GET /session checks OAuth 1.0a for real, and every other call checks X-ADM-Auth-Session,
// with the status codes and bodies Apple uses (apple-protocols.md §2).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { buildAuthorizationHeader } from '../../src/apple/oauth1.js';
import {
  DAY_MS,
  DepClient,
  PUBLIC_URL,
  USER_AGENT,
  portal,
  serverWithClient,
  startSandbox,
  tokenFor,
  createServer,
  type Sandbox,
} from './support.js';

const MINUTE_MS = 60 * 1000;

describe('DEP authentication', () => {
  let sandbox: Sandbox;
  let n = 0;
  const name = () => `Auth server ${++n}`;

  before(async () => {
    sandbox = await startSandbox();
  });
  after(() => sandbox.destroy());
  beforeEach(async () => {
    await portal(sandbox, 'POST', '/terms', { accepted: true });
  });

  test('the right consumer and access secrets open a session that later calls use', async () => {
    const { dep } = await serverWithClient(sandbox, name());
    const login = await dep.login();
    assert.equal(login.status, 200);
    assert.match(String(login.headers['content-type']), /^application\/json/);
    assert.match(login.json().auth_session_token, /^\d{13}O1O[0-9A-F]{48}$/);
    const account = await dep.call('GET', '/account');
    assert.equal(account.status, 200);
  });

  test('a wrong consumer secret or access secret is refused with 401 signature_invalid', async () => {
    const { token } = await serverWithClient(sandbox, name());
    for (const wrong of [
      { ...token, consumerSecret: 'CS_wrong' },
      { ...token, accessSecret: 'AS_wrong' },
    ]) {
      const login = await new DepClient(sandbox, wrong).login();
      assert.equal(login.status, 401);
      assert.equal(login.body, 'signature_invalid');
    }
  });

  test('a request signed for another URL is refused (the base string includes the path)', async () => {
    const { token } = await serverWithClient(sandbox, name());
    const dep = new DepClient(sandbox, token);
    const authorization = buildAuthorizationHeader({
      method: 'GET',
      url: `${PUBLIC_URL}/sandbox/dep/account`,
      consumerKey: token.consumerKey,
      consumerSecret: token.consumerSecret,
      token: token.accessToken,
      tokenSecret: token.accessSecret,
      nonce: 'n1',
      timestamp: 1,
    });
    const response = await dep.send('GET', '/session', undefined, { ...dep.headers, authorization });
    assert.equal(response.status, 401);
  });

  test('after a second token download the first token is refused with 401 token_rejected and its sessions with 403 FORBIDDEN', async () => {
    const { id, keyPair } = await createServer(sandbox, name());
    const first = new DepClient(sandbox, await tokenFor(sandbox, id, keyPair));
    assert.equal((await first.login()).status, 200);
    const second = new DepClient(sandbox, await tokenFor(sandbox, id, keyPair));

    const stale = await first.call('GET', '/account');
    assert.equal(stale.status, 403);
    assert.equal(stale.body, 'FORBIDDEN');
    const relogin = await first.login();
    assert.equal(relogin.status, 401);
    assert.equal(relogin.body, 'token_rejected');

    assert.equal((await second.call('GET', '/account')).status, 200);
  });

  test('a token past its one-year expiry is refused with 401 token_expired', async () => {
    const clock = sandbox.clock;
    const { dep } = await serverWithClient(sandbox, name());
    clock.advance(366 * DAY_MS);
    try {
      const login = await dep.login();
      assert.equal(login.status, 401);
      assert.equal(login.body, 'token_expired');
    } finally {
      clock.advance(-366 * DAY_MS);
    }
  });

  test('an unknown token is 401 token_rejected; a malformed Authorization header is 400', async () => {
    const { token } = await serverWithClient(sandbox, name());
    const unknown = await new DepClient(sandbox, { ...token, accessToken: 'AT_O1O2O3' }).login();
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body, 'token_rejected');

    const dep = new DepClient(sandbox, token);
    const malformed = await dep.send('GET', '/session', undefined, {
      ...dep.headers,
      authorization: 'OAuth oauth_consumer_key=unquoted',
    });
    assert.equal(malformed.status, 400);
    const none = await dep.send('GET', '/session', undefined, dep.headers);
    assert.equal(none.status, 401);
  });

  test('a replayed /session request (same nonce and timestamp) is refused with 401 nonce_used', async () => {
    const { token } = await serverWithClient(sandbox, name());
    const dep = new DepClient(sandbox, token);
    const authorization = buildAuthorizationHeader({
      method: 'GET',
      url: `${PUBLIC_URL}/sandbox/dep/session`,
      consumerKey: token.consumerKey,
      consumerSecret: token.consumerSecret,
      token: token.accessToken,
      tokenSecret: token.accessSecret,
      nonce: randomBytes(8).toString('hex'),
      timestamp: Math.floor(Date.now() / 1000),
    });
    assert.equal((await dep.send('GET', '/session', undefined, { ...dep.headers, authorization })).status, 200);
    const replay = await dep.send('GET', '/session', undefined, { ...dep.headers, authorization });
    assert.equal(replay.status, 401);
    assert.equal(replay.body, 'nonce_used');
  });

  test('terms not accepted in the organisation: 403 T_C_NOT_SIGNED on /session and on every call', async () => {
    const { dep } = await serverWithClient(sandbox, name());
    assert.equal((await dep.login()).status, 200);
    await portal(sandbox, 'POST', '/terms', { accepted: false });
    const call = await dep.call('POST', '/server/devices', {});
    assert.equal(call.status, 403);
    assert.deepEqual(Object.keys(call.json()), ['code', 'message']);
    assert.equal(call.json().code, 'T_C_NOT_SIGNED');
    const login = await dep.login();
    assert.equal(login.status, 403);
    assert.match(login.body, /T_C_NOT_SIGNED/);
    await portal(sandbox, 'POST', '/terms', { accepted: true });
    assert.equal((await dep.login()).status, 200);
  });

  test('every call needs a User-Agent (400 USER_AGENT_MISSING) and X-Server-Protocol-Version', async () => {
    const { dep } = await serverWithClient(sandbox, name());
    // light-my-request adds a User-Agent of its own unless told otherwise.
    const noAgent = await dep.send('GET', '/session', undefined, {
      'user-agent': '',
      'x-server-protocol-version': '7',
    });
    assert.equal(noAgent.status, 400);
    assert.equal(noAgent.body, 'USER_AGENT_MISSING');
    const noVersion = await dep.send('GET', '/account', undefined, { 'user-agent': USER_AGENT });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.body, 'X_SERVER_PROTOCOL_VERSION_MISSING');
  });

  test('calls without a session, or with an unknown one, are 401 UNAUTHORIZED (plain text, not problem+json)', async () => {
    const { dep } = await serverWithClient(sandbox, name());
    const missing = await dep.send('GET', '/account', undefined, dep.headers);
    assert.equal(missing.status, 401);
    assert.equal(missing.body, 'UNAUTHORIZED');
    assert.match(String(missing.headers['content-type']), /^text\/plain/);
    const unknown = await dep.send('GET', '/account', undefined, { ...dep.headers, 'x-adm-auth-session': 'nope' });
    assert.equal(unknown.status, 401);
  });

  test('sessions rotate: after five minutes a response carries a new X-ADM-Auth-Session; sessions expire after an hour', async () => {
    const { dep } = await serverWithClient(sandbox, name());
    await dep.login();
    const original = dep.session;
    const fresh = await dep.call('GET', '/account');
    assert.equal(fresh.headers['x-adm-auth-session'], undefined, 'no rotation for a new session');

    sandbox.clock.advance(6 * MINUTE_MS);
    const rotated = await dep.call('GET', '/account');
    assert.equal(rotated.status, 200);
    assert.equal(typeof rotated.headers['x-adm-auth-session'], 'string');
    assert.notEqual(dep.session, original);

    // The old session keeps working until it expires, an hour after it was made.
    const old = await dep.send('GET', '/account', undefined, { ...dep.headers, 'x-adm-auth-session': original ?? '' });
    assert.equal(old.status, 200);
    sandbox.clock.advance(55 * MINUTE_MS);
    const expired = await dep.send('GET', '/account', undefined, {
      ...dep.headers,
      'x-adm-auth-session': original ?? '',
    });
    assert.equal(expired.status, 401);
    assert.equal(expired.body, 'UNAUTHORIZED');
    assert.equal((await dep.call('GET', '/account')).status, 200, 'the rotated session is still valid');
  });
});
