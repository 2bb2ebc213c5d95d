// The sandbox keeps its state in <dataDir>/sandbox.db, so a demo survives a restart: servers,
// devices, profiles, tokens (the old token still works), cursors and the clock offset.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DepClient, TestClock, portal, serverWithClient, startSandbox, tempDataDir } from './support.js';

test('after closing and reopening on the same data dir, servers, devices, tokens, cursors and the clock carry on', async () => {
  const dataDir = tempDataDir();
  const clock = new TestClock();
  const first = await startSandbox({ dataDir, clock });
  const { id, token, dep } = await serverWithClient(first, 'Survivor');
  const serials = (await portal(first, 'POST', '/devices', { count: 25, family: 'Mac', mdmServerId: id })).json()[
    'serials'
  ] as string[];
  const uuid = (
    await dep.call('POST', '/profile', {
      profile_name: 'Keep',
      url: 'https://mdm.example.com/e',
      devices: [serials[0]],
    })
  ).json().profile_uuid;
  const { cursor } = await dep.fetchAll(10);
  await portal(first, 'POST', '/clock', { advanceSeconds: 3600 });
  const before = (await portal(first, 'GET', '/mdm-servers')).json();
  await first.close();
  // SQLite removes the WAL file when the last connection closes: the onClose hook ran.
  assert.equal(fs.existsSync(path.join(dataDir, 'sandbox.db-wal')), false, 'the database was closed cleanly');

  const second = await startSandbox({ dataDir, clock });
  try {
    assert.deepEqual((await portal(second, 'GET', '/mdm-servers')).json(), before);
    assert.equal((await portal(second, 'GET', '/clock')).json()['offsetSeconds'], 3600);

    const again = new DepClient(second, token);
    assert.equal((await again.login()).status, 200, 'the token downloaded before the restart still works');
    assert.equal((await again.call('GET', `/profile?profile_uuid=${uuid}`)).json().profile_name, 'Keep');
    const { serials: fetched } = await again.fetchAll(1000);
    assert.deepEqual(fetched, [...serials].sort());
    const details = (await again.call('POST', '/devices', { devices: [serials[0]] })).json().devices[serials[0] ?? ''];
    assert.equal(details.profile_status, 'assigned');
    assert.equal(details.device_family, 'Mac');

    const [added] = (await portal(second, 'POST', '/devices', { count: 1, mdmServerId: id })).json()[
      'serials'
    ] as string[];
    const sync = (await again.call('POST', '/devices/sync', { cursor })).json();
    assert.deepEqual(
      sync.devices.map((d: Record<string, string>) => [d['serial_number'], d['op_type']]),
      [[added, 'added']],
      'a cursor issued before the restart still syncs',
    );
  } finally {
    await second.destroy();
  }
});
