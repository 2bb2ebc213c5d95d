// The ABM portal's JSON API (the contract in architecture.md) and its page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateTokenKeyPair } from '../../src/apple/pki.js';
import {
  DepClient,
  createServer,
  portal,
  runOpenssl,
  startSandbox,
  tempDataDir,
  testKeyPair,
  tokenFor,
  type Sandbox,
} from './support.js';

async function multipart(fields: Record<string, string | { filename: string; content: string }>) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([value.content], { type: 'application/x-pem-file' }), value.filename);
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type') ?? '' };
}

describe('ABM portal API', () => {
  let sandbox: Sandbox;
  let scratch: string;

  before(async () => {
    sandbox = await startSandbox();
    scratch = tempDataDir();
  });
  after(async () => {
    await sandbox.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('the page is served at /sandbox/abm with ABM wording and labelled controls; /sandbox redirects there', async () => {
    const page = await sandbox.app.inject({ method: 'GET', url: '/sandbox/abm' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const script = await sandbox.app.inject({ method: 'GET', url: '/sandbox/abm/portal.js' });
    assert.equal(script.statusCode, 200);
    for (const text of [
      'Add MDM Server',
      'MDM Server Settings',
      'MDM Server Name',
      'Public key',
      'Save',
      'Download Token',
      'Download Server Token',
      'Terms and conditions accepted',
    ]) {
      assert.ok(page.body.includes(text) || script.body.includes(text), text);
    }
    // Nothing inline, so a Content-Security-Policy without 'unsafe-inline' admits the page.
    assert.doesNotMatch(page.body, /<script(?![^>]*\ssrc=)[^>]*>|<style/, 'no inline script or style');
    assert.match(page.body, /<script src="\/sandbox\/abm\/portal\.js"><\/script>/);
    assert.match(page.body, /<link rel="stylesheet" href="\/sandbox\/abm\/portal\.css">/);
    const redirect = await sandbox.app.inject({ method: 'GET', url: '/sandbox' });
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers.location, '/sandbox/abm');
  });

  test('an MDM server can be added with JSON or with a browser form upload, and is listed', async () => {
    const keyPair = await testKeyPair();
    const json = await portal(sandbox, 'POST', '/mdm-servers', {
      name: 'JSON server',
      publicKeyPem: keyPair.certificatePem,
    });
    assert.equal(json.status, 201);
    assert.deepEqual(Object.keys(json.json()), ['id', 'name']);

    const { payload, contentType } = await multipart({
      name: 'Form server',
      publicKey: { filename: 'Orchard.pem', content: keyPair.certificatePem },
    });
    const form = await sandbox.app.inject({
      method: 'POST',
      url: '/sandbox/abm/api/mdm-servers',
      payload,
      headers: { 'content-type': contentType },
    });
    assert.equal(form.statusCode, 201, form.body);
    assert.equal(form.json().name, 'Form server');

    const list = (await portal(sandbox, 'GET', '/mdm-servers')).json();
    const listed = (list['items'] as Array<Record<string, unknown>>).find((item) => item['id'] === form.json().id);
    assert.ok(listed);
    assert.match(String(listed['serverUuid']), /^[0-9a-f-]{36}$/);
    assert.equal(listed['deviceCount'], 0);
    assert.equal(listed['termsAccepted'], true);
    assert.equal(listed['tokenIssuedAt'], null);
  });

  test('uploads that are not an RSA X.509 certificate are refused with a clear 400', async () => {
    const keyPair = await testKeyPair();
    await runOpenssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(scratch, 'ec.key'),
      '-out',
      path.join(scratch, 'ec.crt'),
      '-subj',
      '/CN=ec',
      '-days',
      '1',
    ]);
    const cases: Array<[string, string, RegExp]> = [
      ['garbage', 'hello', /not a PEM certificate/],
      ['a private key', keyPair.privateKeyPem, /private key/],
      [
        'a damaged certificate',
        keyPair.certificatePem
          .split('\n')
          .filter((_, i) => i !== 5)
          .join('\n'),
        /damaged|malformed/,
      ],
      ['an EC certificate', fs.readFileSync(path.join(scratch, 'ec.crt'), 'utf8'), /RSA/],
    ];
    for (const [what, pem, message] of cases) {
      const response = await portal(sandbox, 'POST', '/mdm-servers', { name: `Bad ${what}`, publicKeyPem: pem });
      assert.equal(response.status, 400, what);
      assert.equal(response.json()['code'], 'PUBLIC_KEY_INVALID', what);
      assert.match(response.json()['message'], message, what);
    }
    assert.equal(
      (await portal(sandbox, 'POST', '/mdm-servers', { publicKeyPem: keyPair.certificatePem })).json()['code'],
      'NAME_REQUIRED',
    );
    assert.equal(
      (await portal(sandbox, 'POST', '/mdm-servers', { name: 'No key' })).json()['code'],
      'PUBLIC_KEY_REQUIRED',
    );
    await createServer(sandbox, 'Taken');
    const duplicate = await portal(sandbox, 'POST', '/mdm-servers', {
      name: 'taken',
      publicKeyPem: keyPair.certificatePem,
    });
    assert.equal(duplicate.status, 409);
  });

  test('devices are created with Apple-like serials, models and colours per family; {serials} reports existing ones', async () => {
    const created = await portal(sandbox, 'POST', '/devices', { count: 40, family: 'Mac' });
    assert.equal(created.status, 201);
    const serials = created.json()['serials'] as string[];
    assert.equal(serials.length, 40);
    for (const serial of serials) assert.match(serial, /^[0-9A-HJ-NP-Z]{12}$/, 'twelve characters, no O or I');
    const device = (await portal(sandbox, 'GET', `/devices/${serials[0]}`)).json();
    assert.equal(device['deviceFamily'], 'Mac');
    assert.equal(device['os'], 'OSX');
    assert.match(device['model'], /^(MacBook|iMac|Mac )/);
    assert.equal(device['mdmServerId'], null);

    const phone = (await portal(sandbox, 'POST', '/devices', { count: 1, model: 'iPhone 15 Pro' })).json()[
      'serials'
    ][0];
    const phoneDevice = (await portal(sandbox, 'GET', `/devices/${phone}`)).json();
    assert.equal(phoneDevice['model'], 'iPhone 15 Pro');
    assert.ok(['Natural Titanium', 'Blue Titanium', 'White Titanium', 'Black Titanium'].includes(phoneDevice['color']));
    assert.match(phoneDevice['description'], /^IPHONE 15 PRO /);

    const given = await portal(sandbox, 'POST', '/devices', { serials: ['C02ABC000001', serials[0]] });
    assert.deepEqual(given.json(), { count: 1, serials: ['C02ABC000001'], existing: [serials[0]] });
    assert.equal((await portal(sandbox, 'POST', '/devices', { count: 0 })).json()['code'], 'COUNT_INVALID');
    assert.equal(
      (await portal(sandbox, 'POST', '/devices', { count: 1, family: 'Toaster' })).json()['code'],
      'FAMILY_INVALID',
    );
    assert.equal(
      (await portal(sandbox, 'POST', '/devices', { serials: ['bad serial!'] })).json()['code'],
      'SERIAL_INVALID',
    );
  });

  test('devices are assigned (by list or count), moved between servers and unassigned; counts follow', async () => {
    const a = await createServer(sandbox, 'Assign A');
    const b = await createServer(sandbox, 'Assign B');
    const serials = (await portal(sandbox, 'POST', '/devices', { count: 6 })).json()['serials'] as string[];
    const byList = await portal(sandbox, 'POST', `/mdm-servers/${a.id}/devices`, {
      serials: [...serials.slice(0, 4), 'NOSUCHSERIAL'],
    });
    assert.deepEqual(byList.json(), { assigned: 4, added: 4, moved: 0, unchanged: 0, notFound: ['NOSUCHSERIAL'] });
    const moved = await portal(sandbox, 'POST', `/mdm-servers/${b.id}/devices`, { serials: serials.slice(0, 2) });
    assert.equal(moved.json()['moved'], 2);
    const byCount = await portal(sandbox, 'POST', `/mdm-servers/${b.id}/devices`, { count: 2 });
    assert.equal(byCount.json()['added'], 2);

    const count = async (id: string) =>
      ((await portal(sandbox, 'GET', '/mdm-servers')).json()['items'] as Array<Record<string, unknown>>).find(
        (s) => s['id'] === id,
      )?.['deviceCount'];
    assert.equal(await count(a.id), 2);
    assert.equal(await count(b.id), 4);
    const listed = (await portal(sandbox, 'GET', `/devices?serverId=${b.id}&limit=3`)).json();
    assert.equal(listed['items'].length, 3);
    assert.equal(typeof listed['nextCursor'], 'string');
    const rest = (
      await portal(sandbox, 'GET', `/devices?serverId=${b.id}&limit=3&after=${listed['nextCursor']}`)
    ).json();
    assert.equal(rest['items'].length, 1);
    assert.equal(rest['nextCursor'], null);

    const unassigned = await portal(sandbox, 'DELETE', `/mdm-servers/${b.id}/devices`, {
      serials: [serials[0], serials[2]],
    });
    assert.deepEqual(unassigned.json(), { unassigned: 1, notAssignedHere: [serials[2]] });
    assert.equal(
      (await portal(sandbox, 'DELETE', `/mdm-servers/${b.id}/devices`, { all: true })).json()['unassigned'],
      3,
    );
    assert.equal(await count(b.id), 0);
    assert.equal((await portal(sandbox, 'GET', '/devices?serverId=nope')).status, 404);
  });

  test('deleting an MDM server releases its devices and its token stops working', async () => {
    const { id, keyPair } = await createServer(sandbox, 'Doomed');
    const dep = new DepClient(sandbox, await tokenFor(sandbox, id, keyPair));
    const [serial] = (await portal(sandbox, 'POST', '/devices', { count: 1, mdmServerId: id })).json()['serials'];
    assert.equal((await dep.login()).status, 200);
    assert.equal((await portal(sandbox, 'DELETE', `/mdm-servers/${id}`)).status, 204);
    assert.equal((await portal(sandbox, 'GET', `/devices/${serial}`)).json()['mdmServerId'], null);
    assert.equal((await dep.call('GET', '/account')).status, 401);
    assert.equal((await dep.login()).body, 'token_rejected');
    assert.equal((await portal(sandbox, 'GET', `/mdm-servers/${id}/token`)).status, 404);
  });

  test('a certificate can be replaced with a raw PEM body or a form upload', async () => {
    const { id } = await createServer(sandbox, 'Renewal');
    const renewed = await generateTokenKeyPair({ commonName: 'Renewed', now: new Date() });
    const raw = await sandbox.app.inject({
      method: 'PUT',
      url: `/sandbox/abm/api/mdm-servers/${id}/certificate`,
      payload: renewed.certificatePem,
      headers: { 'content-type': 'application/x-pem-file' },
    });
    assert.equal(raw.statusCode, 200, raw.body);
    const token = await tokenFor(sandbox, id, renewed);
    assert.match(token.accessToken, /^AT_O/);
    const { payload, contentType } = await multipart({
      publicKey: { filename: 'renewed.pem', content: renewed.certificatePem },
    });
    const form = await sandbox.app.inject({
      method: 'PUT',
      url: `/sandbox/abm/api/mdm-servers/${id}/certificate`,
      payload,
      headers: { 'content-type': contentType },
    });
    assert.equal(form.statusCode, 200);
  });

  test('terms and the sandbox clock are set through the API', async () => {
    assert.deepEqual((await portal(sandbox, 'POST', '/terms', { accepted: false })).json(), { accepted: false });
    assert.deepEqual((await portal(sandbox, 'GET', '/terms')).json(), { accepted: false });
    assert.equal((await portal(sandbox, 'POST', '/terms', { accepted: 'yes' })).status, 400);
    await portal(sandbox, 'POST', '/terms', { accepted: true });

    const before = (await portal(sandbox, 'GET', '/clock')).json();
    const advanced = (await portal(sandbox, 'POST', '/clock', { advanceSeconds: 86_400 })).json();
    assert.equal(Date.parse(advanced['now']) - Date.parse(before['now']), 86_400_000);
    assert.equal(advanced['offsetSeconds'], before['offsetSeconds'] + 86_400);
    assert.equal((await portal(sandbox, 'POST', '/clock', { advanceSeconds: -1 })).status, 400);
  });

  test('a body over the host app’s 1 MiB JSON limit is accepted (a long {serials} list)', async () => {
    const serials = Array.from({ length: 70_000 }, (_, i) => `BULK${String(i).padStart(8, '0')}`);
    const response = await portal(sandbox, 'POST', '/devices', { serials });
    assert.equal(response.status, 201);
    assert.equal(response.json()['count'], 70_000);
  });

  test('portal errors are JSON {code, message}; unknown portal paths are 404', async () => {
    const missing = await portal(sandbox, 'GET', '/mdm-servers/nope/token');
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(missing.json()), ['code', 'message']);
    assert.equal((await portal(sandbox, 'GET', '/nothing-here')).status, 404);
    const malformed = await sandbox.app.inject({
      method: 'POST',
      url: '/sandbox/abm/api/devices',
      payload: '{',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().code, 'MALFORMED_BODY');
  });
});
