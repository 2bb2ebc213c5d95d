import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appleErrorCode, errorFromResponse } from '../../../src/apple/dep/error-mapping.js';
import {
  DepBadRequestError,
  DepClient,
  DepCursorExhaustedError,
  DepCursorExpiredError,
  DepCursorInvalidError,
  DepError,
  DepUnexpectedResponseError,
} from '../../../src/apple/dep/index.js';
import { AppleError } from '../../../src/apple/errors.js';
import { DomainError } from '../../../src/domain/errors.js';
import { startFakeApple, testOptions, TOKEN } from './support/fake-apple.js';

const context = { call: 'POST /devices/sync', host: 'mdmenrollment.apple.com', idempotent: true };

test('Apple error codes are found in bare, JSON-quoted, {"code"} and {"error"} bodies', () => {
  assert.equal(appleErrorCode('INVALID_CURSOR'), 'INVALID_CURSOR');
  assert.equal(appleErrorCode('"INVALID_CURSOR"\n'), 'INVALID_CURSOR');
  assert.equal(appleErrorCode('{"code":"EXPIRED_CURSOR"}'), 'EXPIRED_CURSOR');
  assert.equal(appleErrorCode('{"error":"CONFIG_NAME_INVALID","message":"x"}'), 'CONFIG_NAME_INVALID');
  assert.equal(appleErrorCode('<html>Bad Request: CONFIG_URL_INVALID here</html>'), 'CONFIG_URL_INVALID');
  assert.equal(appleErrorCode(''), null);
  assert.equal(appleErrorCode('<html><body>oops</body></html>'), null);
});

test('cursor errors are recognised in every wrapper Apple uses', () => {
  for (const body of ['EXHAUSTED_CURSOR', '"EXHAUSTED_CURSOR"', '{"code":"EXHAUSTED_CURSOR"}']) {
    assert.ok(errorFromResponse(400, body, context) instanceof DepCursorExhaustedError, body);
  }
  for (const body of ['EXPIRED_CURSOR', '{"code":"EXPIRED_CURSOR"}', '{"error":"EXPIRED_CURSOR"}']) {
    assert.ok(errorFromResponse(400, body, context) instanceof DepCursorExpiredError, body);
  }
  const invalid = errorFromResponse(400, '"INVALID_CURSOR"', context);
  assert.ok(invalid instanceof DepCursorInvalidError);
  assert.equal(invalid.code, 'DEP_CURSOR_INVALID');
  const required = errorFromResponse(400, 'CURSOR_REQUIRED', context);
  assert.ok(required instanceof DepCursorInvalidError);
  assert.equal(required.extra['appleCode'], 'CURSOR_REQUIRED');
});

test('"INVALID_CURSOR", {"code":"EXPIRED_CURSOR"} and EXHAUSTED_CURSOR from the wire become the right errors', async (t) => {
  const apple = await startFakeApple();
  t.after(() => apple.close());
  apple.route('POST /devices/sync', [
    { status: 400, body: '"INVALID_CURSOR"' },
    { status: 400, body: { code: 'EXPIRED_CURSOR' } },
    { status: 400, body: 'EXHAUSTED_CURSOR' },
  ]);
  const client = new DepClient(testOptions(apple).options);
  await assert.rejects(client.syncDevices({ cursor: 'c' }), DepCursorInvalidError);
  await assert.rejects(client.syncDevices({ cursor: 'c' }), DepCursorExpiredError);
  await assert.rejects(client.syncDevices({ cursor: 'c' }), DepCursorExhaustedError);
});

test('a profile validation error is DEP_BAD_REQUEST keeping Apple’s code and explaining the fix', async (t) => {
  const apple = await startFakeApple();
  t.after(() => apple.close());
  apple.route('POST /profile', { status: 400, body: '{"code":"CONFIG_NAME_INVALID"}' });
  const error: unknown = await new DepClient(testOptions(apple).options)
    .defineProfile({ profileName: 'x'.repeat(200) })
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof DepBadRequestError);
  assert.equal(error.code, 'DEP_BAD_REQUEST');
  assert.equal(error.extra['appleCode'], 'CONFIG_NAME_INVALID');
  assert.equal(error.extra['httpStatus'], 400);
  assert.match(error.message, /CONFIG_NAME_INVALID.*1 to 125 characters/);
  assert.equal(error.kind, 'invalid');
});

test('DEP errors are AppleErrors and DomainErrors with stable codes, so the one HTTP error handler maps them', () => {
  const error = errorFromResponse(400, 'DEPARTMENT_INVALID', context);
  assert.ok(error instanceof DepError && error instanceof AppleError && error instanceof DomainError);
  assert.equal(error.name, 'DepBadRequestError');
});

test('messages never echo Apple’s raw body, which could carry anything', () => {
  const body = `oauth_problem=signature_invalid&oauth_token=${TOKEN.accessToken}`;
  const error = errorFromResponse(401, body, { ...context, call: 'GET /session' });
  assert.equal(error.code, 'DEP_TOKEN_REJECTED');
  assert.ok(!error.message.includes(TOKEN.accessToken));
  assert.ok(!JSON.stringify(error.extra).includes(TOKEN.accessToken.slice(0, 8)));
  assert.equal(appleErrorCode(TOKEN.accessToken), null);
  assert.equal(appleErrorCode(`{"error":"${TOKEN.accessToken}"}`), null);
});

test('500 is DEP_UNAVAILABLE; other 4xx are DEP_BAD_REQUEST with the status', () => {
  assert.equal(errorFromResponse(500, '', context).code, 'DEP_UNAVAILABLE');
  const notFound = errorFromResponse(404, 'NOT_FOUND', context);
  assert.equal(notFound.code, 'DEP_BAD_REQUEST');
  assert.equal(notFound.extra['httpStatus'], 404);
});

test('a 2xx answer that is not JSON, or lacks a field every answer has, is DEP_UNEXPECTED_RESPONSE', async (t) => {
  const apple = await startFakeApple();
  t.after(() => apple.close());
  apple.route('GET /account', [{ body: '<html>maintenance</html>' }, { body: { server_name: 'no uuid' } }]);
  apple.route('POST /profile', { body: { devices: {} } });
  const client = new DepClient(testOptions(apple).options);
  await assert.rejects(
    client.account(),
    (error: unknown) => error instanceof DepUnexpectedResponseError && /not JSON/.test(error.message),
  );
  await assert.rejects(
    client.account(),
    (error: unknown) => error instanceof DepUnexpectedResponseError && /server_uuid/.test(error.message),
  );
  await assert.rejects(client.defineProfile({ profileName: 'p' }), { code: 'DEP_UNEXPECTED_RESPONSE' });
});

test('a /session answer without auth_session_token is DEP_UNEXPECTED_RESPONSE', async (t) => {
  const apple = await startFakeApple();
  t.after(() => apple.close());
  apple.route('GET /session', { body: { something: 'else' } }, { requireSession: false });
  await assert.rejects(new DepClient(testOptions(apple).options).account(), { code: 'DEP_UNEXPECTED_RESPONSE' });
});

test('a redirect is not followed, so the session header never leaves for another host', async (t) => {
  const apple = await startFakeApple();
  t.after(() => apple.close());
  apple.route('GET /account', { status: 302, headers: { Location: 'http://example.invalid/steal' } });
  await assert.rejects(new DepClient(testOptions(apple).options).account(), { code: 'DEP_BAD_REQUEST' });
});
