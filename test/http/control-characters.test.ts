import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { findControlCharacter } from '../../src/http/validation.js';
import { TEST_ADMIN, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

function assertRefused(res: LightMyRequestResponse, field: RegExp, code = 'VALIDATION_FAILED') {
  assert.equal(res.statusCode, 400, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.code, code, res.body);
  assert.match(body.detail, field, 'the detail names the field');
}

test('the edge rule: no control character in URLs; bodies may hold tab, line feed and carriage return', () => {
  const cases: Array<[unknown, 'url' | 'text', string | undefined]> = [
    ['plain text', 'url', undefined],
    ['a\u0000b', 'url', ''],
    ['\u001b[31m', 'url', ''],
    ['\u007f', 'url', ''],
    ['\u0085', 'url', ''],
    ['line\nbreak', 'url', ''],
    ['line\nbreak\ttab\r', 'text', undefined],
    ['a\u0000b', 'text', ''],
    ['\u000b', 'text', ''],
    [{ name: 'ok', nested: { list: ['fine', 'x\u0001'] } }, 'text', '.nested.list.1'],
    [{ 'na\u0000me': 'x' }, 'text', ''],
    [Buffer.from([0, 1, 2]), 'text', undefined],
    [{ count: 3, flag: true, none: null }, 'text', undefined],
  ];
  for (const [value, kind, path] of cases) {
    assert.equal(findControlCharacter(value, kind)?.path, path, JSON.stringify(value));
  }
  assert.equal(findControlCharacter({ 'na\u0000me': 'x' }, 'text')?.inKey, true);
  let deep: unknown = 'x\u0000';
  for (let i = 0; i < 200_000; i++) deep = [deep];
  assert.equal(findControlCharacter(deep, 'text')?.codePoint, 0, 'deeper than the call stack');
});

for (const { engine, skip } of await engines()) {
  describe(`control characters are refused at the edge on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    let customerId: string;
    let siteId: string;
    let tokenId: string;

    before(async () => {
      t = await startTestOrchard(engine);
      customerId = (await t.api('POST', '/api/v1/customers', { name: 'Acme Corp' })).json().id;
      siteId = (await t.api('POST', `/api/v1/customers/${customerId}/sites`, { name: 'Main Office' })).json().id;
      tokenId = (await t.api('POST', '/api/v1/abm-tokens', { customerId, siteId })).json().id;
    });
    after(() => t.close());

    test('a NUL in a path id answers 400 VALIDATION_FAILED, not a database error', async () => {
      for (const [method, url] of [
        ['GET', '/api/v1/customers/a%00b'],
        ['PATCH', '/api/v1/customers/%00'],
        ['DELETE', '/api/v1/sites/%00'],
        ['GET', '/api/v1/abm-tokens/x%00/enrollment-profile'],
        ['POST', '/api/v1/abm-tokens/x%00/sync'],
        ['GET', '/api/v1/devices/C02%00'],
      ] as const) {
        const res = await t.api(method, url, method === 'PATCH' ? { name: 'Renamed' } : undefined);
        assertRefused(res, /params\.(id|serialNumber) contains the control character U\+0000/);
      }
      const upload = await t.api('PUT', '/api/v1/abm-tokens/%00/token', Buffer.from('token'), {
        'content-type': 'application/octet-stream',
      });
      assertRefused(upload, /params\.id/);
    });

    test('a NUL or other control character in q or cursor answers 400 VALIDATION_FAILED', async () => {
      for (const query of ['q=a%00b', 'q=%1B%5B31m', 'q=%7F', 'q=%C2%85', 'cursor=%00', 'limit=10&cursor=ab%00']) {
        assertRefused(await t.api('GET', `/api/v1/customers?${query}`), /querystring\.(q|cursor) contains/);
        assertRefused(await t.api('GET', `/api/v1/devices?${query}`), /querystring\.(q|cursor) contains/);
      }
      assertRefused(await t.api('GET', `/api/v1/customers/${customerId}/sites?cursor=%00`), /querystring\.cursor/);
      assertRefused(await t.api('GET', '/api/v1/abm-tokens?customerId=%00'), /querystring\.customerId/);
      assertRefused(await t.api('GET', '/api/v1/devices/summary?siteId=%00'), /querystring\.siteId/);
    });

    test('a cursor that is base64url but hides a NUL is refused like any invalid cursor', async () => {
      const forged = (parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
      assertRefused(await t.api('GET', `/api/v1/customers?cursor=${forged(['acme\u0000', 'x'])}`), /cursor/);
      assertRefused(await t.api('GET', `/api/v1/devices?cursor=${forged(['C02\u0000'])}`), /cursor/);
      assertRefused(
        await t.api('GET', `/api/v1/customers/${customerId}/sites?cursor=${forged(['\u0000', '\u0000'])}`),
        /cursor/,
      );
    });

    test('a NUL in any enrollment profile field answers 400 and leaves the profile as it was', async () => {
      const url = `/api/v1/abm-tokens/${tokenId}/enrollment-profile`;
      const { url: _u, profileUuid: _p, definedAt: _d, lastError: _e, ...current } = (await t.api('GET', url)).json();
      for (const [field, value] of [
        ['profileName', 'Acme\u0000'],
        ['department', 'IT\u0000'],
        ['supportPhoneNumber', '\u0000'],
        ['supportEmailAddress', 'it@acme.example\u0000'],
        ['language', 'e\u0000'],
        ['region', '\u0000'],
        ['skipSetupItems', ['Siri', 'TOS\u0000']],
      ] as const) {
        assertRefused(await t.api('PUT', url, { ...current, [field]: value }), new RegExp(`body\\.${field}`));
      }
      const after = (await t.api('GET', url)).json();
      assert.equal(after.profileName, current.profileName);
      assert.deepEqual(after.skipSetupItems, current.skipSetupItems);
    });

    test('line breaks reach the profile’s one-line fields only to be refused by the domain', async () => {
      const url = `/api/v1/abm-tokens/${tokenId}/enrollment-profile`;
      const { url: _u, profileUuid: _p, definedAt: _d, lastError: _e, ...current } = (await t.api('GET', url)).json();
      assertRefused(await t.api('PUT', url, { ...current, department: 'IT\nDesk' }), /department/);
      assertRefused(await t.api('PUT', url, { ...current, profileName: 'Acme\u200b' }), /invisible character/);
    });

    test('a NUL in the sign-in email or password answers 400 before any account is looked up', async () => {
      for (const payload of [
        { email: 'admin\u0000@example.com', password: 'x' },
        { email: TEST_ADMIN.email, password: `${TEST_ADMIN.password}\u0000` },
      ]) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload });
        assertRefused(res, /body\.(email|password) contains the control character U\+0000/);
      }
    });

    test('a NUL in a name answers 400 on create and rename, and nothing is stored', async () => {
      assertRefused(await t.api('POST', '/api/v1/customers', { name: 'Bravo\u0000 Corp' }), /body\.name/);
      assertRefused(await t.api('PATCH', `/api/v1/sites/${siteId}`, { name: '\u0000' }), /body\.name/);
      assertRefused(await t.api('POST', '/api/v1/abm-tokens', { customerId: `${customerId}\u0000`, siteId }), /body/);
      assert.equal((await t.api('GET', '/api/v1/customers?q=bravo')).json().items.length, 0);
      assert.equal((await t.api('GET', `/api/v1/sites/${siteId}`)).json().name, 'Main Office');
    });
  });
}
