// The device side of the DEP service: /account, fetch (snapshot paging by cursor), sync (the
// change feed), details, disown and activation lock, with Apple's cursor errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DAY_MS,
  latestBySerial,
  portal,
  serverWithClient,
  startSandbox,
  type DepClient,
  type Sandbox,
} from './support.js';

async function addDevices(sandbox: Sandbox, body: Record<string, unknown>): Promise<string[]> {
  const response = await portal(sandbox, 'POST', '/devices', body);
  assert.equal(response.status, 201, response.body);
  return response.json()['serials'] as string[];
}

async function assign(sandbox: Sandbox, serverId: string, serials: string[]) {
  const response = await portal(sandbox, 'POST', `/mdm-servers/${serverId}/devices`, { serials });
  assert.equal(response.status, 200, response.body);
  return response.json();
}

describe('DEP devices', () => {
  let sandbox: Sandbox;
  let a: { id: string; dep: DepClient };
  let b: { id: string; dep: DepClient };
  let onA: string[];
  let onB: string[];

  before(async () => {
    sandbox = await startSandbox();
    a = await serverWithClient(sandbox, 'Server A');
    b = await serverWithClient(sandbox, 'Server B');
    onA = await addDevices(sandbox, { count: 2345, mdmServerId: a.id });
    onB = await addDevices(sandbox, { count: 100, mdmServerId: b.id });
    await addDevices(sandbox, { count: 50 }); // unassigned
  });
  after(() => sandbox.destroy());

  test('GET /account describes the MDM server and the organisation', async () => {
    const response = await a.dep.call('GET', '/account');
    assert.equal(response.status, 200);
    const account = response.json();
    const servers = (await portal(sandbox, 'GET', '/mdm-servers')).json()['items'] as Array<Record<string, unknown>>;
    assert.equal(account.server_name, 'Server A');
    assert.equal(account.server_uuid, servers.find((s) => s['id'] === a.id)?.['serverUuid']);
    assert.match(account.server_uuid, /^[0-9a-f-]{36}$/);
    assert.match(account.admin_id, /@/);
    assert.equal(account.facilitator_id, account.admin_id);
    for (const field of ['org_name', 'org_email', 'org_phone', 'org_address'])
      assert.equal(typeof account[field], 'string', field);
    assert.match(account.org_id, /^\d+$/);
    assert.match(account.org_id_hash, /^[0-9a-f]{64}$/);
    assert.equal(account.org_type, 'org');
    assert.equal(account.org_version, 'v2');
    const fetch = (account.urls as Array<Record<string, any>>).find((url) => url['uri'] === '/server/devices');
    assert.deepEqual(fetch, { uri: '/server/devices', http_method: ['POST'], limit: { default: 100, maximum: 1000 } });
  });

  test('a fetch pages through every device assigned to the server exactly once, by serial, and none of others', async () => {
    const { serials, pages } = await a.dep.fetchAll(1000);
    assert.equal(pages, 3);
    assert.equal(serials.length, onA.length);
    assert.equal(new Set(serials).size, onA.length);
    assert.deepEqual(serials, [...onA].sort());
    assert.ok(!serials.some((serial) => onB.includes(serial)));
  });

  test("fetched devices carry Apple's fields", async () => {
    const page = (await a.dep.call('POST', '/server/devices', { limit: 1 })).json();
    const [device] = page.devices;
    assert.deepEqual(Object.keys(device), [
      'serial_number',
      'model',
      'description',
      'color',
      'os',
      'device_family',
      'profile_status',
      'device_assigned_date',
      'device_assigned_by',
    ]);
    assert.equal(device.profile_status, 'empty');
    assert.match(device.device_assigned_date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(page.fetched_until, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(page.more_to_follow, true);
    assert.match(page.cursor, /^[A-Za-z0-9+/]+$/, 'an unpadded base64 cursor');
  });

  test('limit defaults to 100 and is clamped to 1000', async () => {
    assert.equal((await a.dep.call('POST', '/server/devices', {})).json().devices.length, 100);
    assert.equal((await a.dep.call('POST', '/server/devices', { limit: 5000 })).json().devices.length, 1000);
    const bad = await a.dep.call('POST', '/server/devices', { limit: 'lots' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body, 'MALFORMED_REQUEST_BODY');
  });

  test('fetching again with the cursor of the last page is 400 EXHAUSTED_CURSOR; sync accepts that cursor', async () => {
    const { cursor } = await a.dep.fetchAll(1000);
    const again = await a.dep.call('POST', '/server/devices', { cursor });
    assert.equal(again.status, 400);
    assert.equal(again.body, '"EXHAUSTED_CURSOR"');
    const sync = await a.dep.call('POST', '/devices/sync', { cursor });
    assert.equal(sync.status, 200);
    assert.deepEqual(sync.json().devices, []);
    assert.equal(sync.json().more_to_follow, false);
  });

  test('a fetch is a snapshot: a device assigned while paging arrives through sync, not the fetch', async () => {
    const first = (await b.dep.call('POST', '/server/devices', { limit: 10 })).json();
    const [late] = await addDevices(sandbox, { serials: ['ZZZZZZZZZZZZ'], mdmServerId: b.id });
    let cursor = first.cursor as string;
    const fetched = new Set<string>(first.devices.map((d: { serial_number: string }) => d.serial_number));
    for (let more = true; more;) {
      const page = (await b.dep.call('POST', '/server/devices', { cursor, limit: 1000 })).json();
      for (const device of page.devices) fetched.add(device.serial_number);
      cursor = page.cursor;
      more = page.more_to_follow;
    }
    assert.ok(late !== undefined && !fetched.has(late));
    const { events } = await b.dep.syncAll(cursor);
    assert.deepEqual(
      events.map((e) => [e['serial_number'], e['op_type']]),
      [[late, 'added']],
    );
  });

  test('sync reports assign (added), move (deleted here, modified there), unassign (deleted) and profile changes (modified)', async () => {
    const { cursor: cursorA } = await a.dep.fetchAll(1000);
    const { cursor: cursorB } = await b.dep.fetchAll(1000);
    const [fresh] = await addDevices(sandbox, { serials: ['C02SYNC00001'] });
    const [moved, unassigned, profiled, pushed, removed] = onA.slice(0, 5) as [string, string, string, string, string];
    await assign(sandbox, a.id, [fresh ?? '']);
    assert.equal((await assign(sandbox, b.id, [moved])).moved, 1);
    assert.equal(
      (await portal(sandbox, 'DELETE', `/mdm-servers/${a.id}/devices`, { serials: [unassigned] })).json()['unassigned'],
      1,
    );
    sandbox.clock.advance(60_000);
    const define = await a.dep.call('POST', '/profile', {
      profile_name: 'Sync test',
      url: 'https://mdm.example.com/enroll',
      devices: [profiled, pushed, removed],
    });
    assert.equal(define.status, 200);
    assert.equal((await portal(sandbox, 'POST', `/devices/${pushed}/profile-pushed`)).status, 200);
    assert.equal((await a.dep.call('DELETE', '/profile/devices', { devices: [removed] })).status, 200);

    const { events } = await a.dep.syncAll(cursorA, 3); // small pages to exercise paging
    const latest = latestBySerial(events);
    assert.equal(latest.get(fresh ?? '')?.['op_type'], 'added');
    assert.equal(latest.get(moved)?.['op_type'], 'deleted');
    assert.equal(latest.get(unassigned)?.['op_type'], 'deleted');
    assert.equal(latest.get(profiled)?.['op_type'], 'modified');
    assert.equal(latest.get(profiled)?.['profile_status'], 'assigned');
    assert.equal(latest.get(profiled)?.['profile_uuid'], define.json().profile_uuid);
    assert.equal(latest.get(pushed)?.['profile_status'], 'pushed');
    assert.match(String(latest.get(pushed)?.['profile_push_time']), /Z$/);
    assert.equal(latest.get(removed)?.['profile_status'], 'removed');
    assert.equal(latest.get(moved)?.['profile_status'], undefined, 'a device that left shows no profile fields');
    for (const event of events) assert.match(event['op_date'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Sync may repeat a device; here profiled devices appear more than once.
    assert.ok(events.length > latest.size);

    const onNewServer = latestBySerial((await b.dep.syncAll(cursorB)).events);
    // Apple reports a device moved in from another MDM server as "modified".
    assert.equal(onNewServer.get(moved)?.['op_type'], 'modified');
  });

  test('sync needs a cursor (CURSOR_REQUIRED) that is genuine (INVALID_CURSOR) and this server’s own', async () => {
    const required = await a.dep.call('POST', '/devices/sync', {});
    assert.equal(required.status, 400);
    assert.match(required.body, /CURSOR_REQUIRED/);
    const garbled = await a.dep.call('POST', '/devices/sync', { cursor: 'not-a-cursor!' });
    assert.equal(garbled.status, 400);
    assert.match(garbled.body, /INVALID_CURSOR/);

    const { cursor } = await a.dep.fetchAll(1000);
    const tampered = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11);
    assert.match((await a.dep.call('POST', '/devices/sync', { cursor: tampered })).body, /INVALID_CURSOR/);
    const foreign = await b.dep.call('POST', '/devices/sync', { cursor });
    assert.equal(foreign.status, 400);
    assert.match(foreign.body, /INVALID_CURSOR/);
    assert.match((await a.dep.call('POST', '/server/devices', { cursor: 'AAAA' })).body, /INVALID_CURSOR/);
  });

  test('a cursor older than seven days is 400 EXPIRED_CURSOR', async () => {
    const { cursor } = await a.dep.fetchAll(1000);
    sandbox.clock.advance(8 * DAY_MS);
    await a.dep.login(); // the session expired with the clock
    const response = await a.dep.call('POST', '/devices/sync', { cursor });
    assert.equal(response.status, 400);
    assert.equal(response.body, '"EXPIRED_CURSOR"');
    const midFetch = (await a.dep.call('POST', '/server/devices', { limit: 5 })).json().cursor;
    sandbox.clock.advance(8 * DAY_MS);
    await a.dep.login();
    assert.match((await a.dep.call('POST', '/server/devices', { cursor: midFetch })).body, /EXPIRED_CURSOR/);
  });

  test('POST /devices gives details of own devices and NOT_ACCESSIBLE for others', async () => {
    const own = onA[10] ?? '';
    const response = await a.dep.call('POST', '/devices', { devices: [own, onB[0], 'UNKNOWN00000'] });
    assert.equal(response.status, 200);
    const { devices } = response.json();
    assert.equal(devices[own].response_status, 'SUCCESS');
    assert.equal(devices[own].serial_number, own);
    assert.deepEqual(devices[onB[0] ?? ''], { response_status: 'NOT_ACCESSIBLE' });
    assert.deepEqual(devices['UNKNOWN00000'], { response_status: 'NOT_ACCESSIBLE' });
    const empty = await a.dep.call('POST', '/devices', { devices: [] });
    assert.equal(empty.status, 400);
    assert.equal(empty.body, 'DEVICE_ID_REQUIRED');
    const malformed = await a.dep.send('POST', '/devices', '{"devices": [', {
      ...a.dep.headers,
      'x-adm-auth-session': a.dep.session ?? '',
      'content-type': 'application/json;charset=UTF8',
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body, 'MALFORMED_REQUEST_BODY');
  });

  test('POST /devices/disown releases own devices for good; POST /device/activationlock answers per device', async () => {
    const { cursor } = await a.dep.fetchAll(1000);
    const target = onA[20] ?? '';
    const response = await a.dep.call('POST', '/devices/disown', { devices: [target, onB[1]] });
    assert.deepEqual(response.json(), { devices: { [target]: 'SUCCESS', [onB[1] ?? '']: 'NOT_ACCESSIBLE' } });
    const { events } = await a.dep.syncAll(cursor);
    assert.equal(latestBySerial(events).get(target)?.['op_type'], 'deleted');
    assert.equal((await portal(sandbox, 'GET', `/devices/${target}`)).status, 404);

    const lock = await a.dep.call('POST', '/device/activationlock', { device: onA[21], escrow_key: 'abc' });
    assert.deepEqual(lock.json(), { serial_number: onA[21], response_status: 'SUCCESS' });
    const other = await a.dep.call('POST', '/device/activationlock', { device: onB[2] });
    assert.equal(other.json().response_status, 'NOT_ACCESSIBLE');
  });

  test('unknown DEP paths answer a plain 404', async () => {
    const response = await a.dep.call('GET', '/nope');
    assert.equal(response.status, 404);
    assert.equal(response.body, 'NOT_FOUND');
  });
});
