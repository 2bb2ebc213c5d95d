import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DepAccessDeniedError,
  DepClient,
  DepTermsNotAcceptedError,
  DepTokenExpiredError,
  DepTokenRejectedError,
} from '../../../src/apple/dep/index.js';
import { parseAuthorizationHeader, verifySignature } from '../../../src/apple/oauth1.js';
import { NOW, startFakeApple, testOptions, TOKEN, type FakeApple } from './support/fake-apple.js';

const ACCOUNT = { server_name: 'Orchard MSP', server_uuid: '9c0e2a6c-0000-4000-8000-000000000001', org_name: 'Acme' };

async function fresh(prefix?: string): Promise<FakeApple> {
  const server = await startFakeApple(prefix === undefined ? {} : { prefix });
  server.route('GET /account', { body: ACCOUNT });
  return server;
}

test('GET /session is signed with OAuth 1.0a that verifies with the token secrets, and the session is sent afterwards', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  const client = new DepClient(testOptions(apple).options);

  const account = await client.account();
  assert.equal(account.serverUuid, ACCOUNT.server_uuid);

  const [session] = apple.calls('GET /session');
  assert.ok(session);
  const authorization = parseAuthorizationHeader(session.headers.authorization ?? '');
  assert.equal(authorization.realm, 'ADM');
  assert.equal(authorization.params['oauth_consumer_key'], TOKEN.consumerKey);
  assert.equal(authorization.params['oauth_token'], TOKEN.accessToken);
  assert.equal(authorization.params['oauth_signature_method'], 'HMAC-SHA1');
  assert.equal(authorization.params['oauth_version'], '1.0');
  assert.equal(authorization.params['oauth_timestamp'], String(NOW.getTime() / 1000));
  assert.match(authorization.params['oauth_nonce'] ?? '', /^[0-9a-f]{32}$/);
  assert.ok(
    verifySignature(
      { method: 'GET', url: session.url, authorization },
      { consumerSecret: TOKEN.consumerSecret, tokenSecret: TOKEN.accessSecret },
    ),
  );
  assert.equal(apple.calls('GET /account')[0]?.headers['x-adm-auth-session'], 'session-1');
  // No secret of the token ever travels in clear.
  for (const request of apple.requests) {
    const wire = JSON.stringify(request.headers) + request.body;
    assert.ok(!wire.includes(TOKEN.consumerSecret) && !wire.includes(TOKEN.accessSecret));
  }
});

test('every call carries User-Agent and X-Server-Protocol-Version, and JSON bodies are labelled as Apple expects', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', { body: { cursor: 'c1', devices: [], more_to_follow: false } });
  const client = new DepClient(testOptions(apple, { userAgent: 'Orchard/9.9.9', protocolVersion: 8 }).options);

  await client.account();
  await client.fetchDevices({ limit: 10 });

  assert.equal(apple.requests.length, 3);
  for (const request of apple.requests) {
    assert.equal(request.headers['user-agent'], 'Orchard/9.9.9', `${request.method} ${request.path}`);
    assert.equal(request.headers['x-server-protocol-version'], '8', `${request.method} ${request.path}`);
  }
  const fetch = apple.calls('POST /server/devices')[0];
  assert.equal(fetch?.headers['content-type'], 'application/json;charset=UTF8');
  assert.deepEqual(fetch?.json, { limit: 10 });
  assert.equal(apple.calls('GET /session')[0]?.headers['content-type'], undefined);
});

test('the default User-Agent is Orchard/<version> and the default protocol version is 7', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  await new DepClient(testOptions(apple).options).account();
  for (const request of apple.requests) {
    assert.match(String(request.headers['user-agent']), /^Orchard\/\d+\.\d+\.\d+/);
    assert.equal(request.headers['x-server-protocol-version'], '7');
  }
});

test('a base URL with a path prefix keeps the prefix on every call and signs /session with the full URL', async (t) => {
  for (const prefix of ['/sandbox/dep', '/sandbox/dep/']) {
    const apple = await fresh('/sandbox/dep');
    t.after(() => apple.close());
    const base = testOptions(apple).options;
    const client = new DepClient({ ...base, baseUrl: `${apple.baseUrl.replace('/sandbox/dep', '')}${prefix}` });

    await client.account();
    await assert.rejects(client.getProfile('p 1/2'), { code: 'DEP_BAD_REQUEST' }); // 404 from the fake: path still prefixed

    assert.deepEqual(
      apple.requests.map((request) => `${request.method} ${request.path}`),
      ['GET /session', 'GET /account', 'GET /profile'],
    );
    assert.ok(apple.requests.every((request) => new URL(request.url).pathname.startsWith('/sandbox/dep/')));
    assert.equal(new URL(apple.requests[2]?.url ?? '').search, '?profile_uuid=p+1%2F2');
    // The fake verified the signature over http://127.0.0.1:<port>/sandbox/dep/session.
    assert.equal(apple.calls('GET /account')[0]?.headers['x-adm-auth-session'], 'session-1');
  }
});

test('a session rotated in any response header is used from then on', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('GET /account', (_request, nth) => {
    if (nth === 1) {
      apple.acceptSession('rotated-A');
      return { body: ACCOUNT, headers: { 'X-ADM-Auth-Session': 'rotated-A' } };
    }
    return { body: ACCOUNT };
  });
  apple.route('POST /server/devices', (_request, nth) => {
    if (nth === 1) {
      // Rotation on an error answer counts too.
      apple.acceptSession('rotated-B');
      return { status: 400, body: '"INVALID_CURSOR"', headers: { 'X-ADM-Auth-Session': 'rotated-B' } };
    }
    return { body: { cursor: 'c', devices: [], more_to_follow: false } };
  });
  const client = new DepClient(testOptions(apple).options);

  await client.account();
  await client.account();
  await assert.rejects(client.fetchDevices({ cursor: 'bad' }), { code: 'DEP_CURSOR_INVALID' });
  await client.fetchDevices();

  assert.deepEqual(
    apple.requests.map((request) => request.headers['x-adm-auth-session'] ?? '-'),
    ['-', 'session-1', 'rotated-A', 'rotated-A', 'rotated-B'],
  );
  assert.equal(apple.calls('GET /session').length, 1);
});

test('a 401 on a call logs in again once and repeats the call', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  const client = new DepClient(testOptions(apple).options);

  await client.account();
  apple.expireSessions();
  const account = await client.account();

  assert.equal(account.orgName, 'Acme');
  assert.deepEqual(
    apple.requests.map((request) => `${request.path} ${request.headers['x-adm-auth-session'] ?? '-'}`),
    ['/session -', '/account session-1', '/account session-1', '/session -', '/account session-2'],
  );
});

test('a 403 whose body says FORBIDDEN logs in again once and repeats the call', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('GET /account', [{ status: 403, body: '"FORBIDDEN"' }, { body: ACCOUNT }]);
  const client = new DepClient(testOptions(apple).options);

  assert.equal((await client.account()).serverName, 'Orchard MSP');
  assert.equal(apple.calls('GET /session').length, 2);
  assert.equal(apple.calls('GET /account')[1]?.headers['x-adm-auth-session'], 'session-2');
});

test('a non-idempotent call refused for a stale session is repeated after logging in (Apple did not process it)', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /profile', { body: { profile_uuid: 'P1', devices: {} } });
  const client = new DepClient(testOptions(apple).options);

  await client.account();
  apple.expireSessions();
  assert.equal(
    (await client.defineProfile({ profileName: 'Staff', url: 'https://orchard.example/mdm/enroll/k' })).profileUuid,
    'P1',
  );
  assert.equal(apple.calls('POST /profile').length, 2);
});

test('a call still refused with a fresh session fails instead of logging in forever', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('GET /account', { status: 401, body: 'UNAUTHORIZED' }, { requireSession: false });
  apple.route('POST /server/devices', { status: 403, body: '{"code":"FORBIDDEN"}' });
  const client = new DepClient(testOptions(apple).options);

  await assert.rejects(client.account(), DepTokenRejectedError);
  assert.equal(apple.calls('GET /session').length, 2);
  await assert.rejects(client.fetchDevices(), DepAccessDeniedError);
  assert.equal(apple.calls('GET /session').length, 3);
});

test('concurrent calls share one GET /session, at first login and at renewal', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  const client = new DepClient(testOptions(apple).options);

  await Promise.all([client.account(), client.account(), client.account(), client.account()]);
  assert.equal(apple.calls('GET /session').length, 1);

  apple.expireSessions();
  await Promise.all([client.account(), client.account(), client.account()]);
  assert.equal(apple.calls('GET /session').length, 2);
  assert.ok(
    apple
      .calls('GET /account')
      .slice(-3)
      .every((request) => request.headers['x-adm-auth-session'] === 'session-2'),
  );
});

test('T_C_NOT_SIGNED on /session or on a later call is DEP_TERMS_NOT_ACCEPTED, telling the admin to accept the terms', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('GET /session', { status: 403, body: 'T_C_NOT_SIGNED' }, { requireSession: false });
  const client = new DepClient(testOptions(apple).options);
  const error = await client.account().then(
    () => assert.fail('expected a refusal'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof DepTermsNotAcceptedError);
  assert.equal(error.code, 'DEP_TERMS_NOT_ACCEPTED');
  assert.match(error.message, /sign in to Apple Business Manager .* accept the new terms and conditions/);
  assert.equal(apple.calls('GET /session').length, 1, 'not retried: only an admin can fix it');

  const later = await fresh();
  t.after(() => later.close());
  later.route('POST /devices/sync', { status: 403, body: '{"code":"T_C_NOT_SIGNED"}' });
  await assert.rejects(
    new DepClient(testOptions(later).options).syncDevices({ cursor: 'c' }),
    DepTermsNotAcceptedError,
  );
  assert.equal(later.calls('POST /devices/sync').length, 1);
});

test('a 401 on /session is DEP_TOKEN_REJECTED, and token_expired is DEP_TOKEN_EXPIRED, both asking for a fresh token', async (t) => {
  for (const [body, type, code] of [
    ['signature_invalid', DepTokenRejectedError, 'DEP_TOKEN_REJECTED'],
    ['oauth_problem_advice=token_rejected', DepTokenRejectedError, 'DEP_TOKEN_REJECTED'],
    ['', DepTokenRejectedError, 'DEP_TOKEN_REJECTED'],
    ['token_expired', DepTokenExpiredError, 'DEP_TOKEN_EXPIRED'],
  ] as const) {
    const apple = await fresh();
    t.after(() => apple.close());
    apple.route('GET /session', { status: 401, body }, { requireSession: false });
    const error: unknown = await new DepClient(testOptions(apple).options).account().catch((caught: unknown) => caught);
    assert.ok(error instanceof type, body);
    assert.equal((error as DepTokenRejectedError).code, code);
    assert.match((error as Error).message, /Download a new token .* upload it to Orchard/);
    assert.equal(
      (error as DepTokenRejectedError).kind,
      'conflict',
      'never "unauthenticated": that signs the Orchard user out',
    );
    assert.ok(!(error as Error).message.includes(TOKEN.accessToken));
    assert.equal(apple.calls('GET /session').length, 1);
  }
});

test('a wrong signature is refused by the fake, so the signing is really checked', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  const options = testOptions(apple).options;
  const client = new DepClient({ ...options, token: { ...TOKEN, accessSecret: 'AS_wrong' } });
  await assert.rejects(client.account(), { code: 'DEP_TOKEN_REJECTED' });
});

test('403 ACCESS_DENIED and 403 token_rejected on a call map to their own errors', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('GET /account', [
    { status: 403, body: 'ACCESS_DENIED' },
    { status: 403, body: '"token_rejected"' },
  ]);
  const client = new DepClient(testOptions(apple).options);
  await assert.rejects(client.account(), { code: 'DEP_ACCESS_DENIED' });
  await assert.rejects(client.account(), { code: 'DEP_TOKEN_REJECTED' });
  assert.equal(apple.calls('GET /session').length, 1, 'neither is a stale session');
});
