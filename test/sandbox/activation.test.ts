// A device at Setup Assistant asks Apple for its configuration: the sandbox answers the
// assigned DEP profile and from then on reports it `pushed`. Orchard's own DEP client, over
// real HTTP, is the observer on the MDM server's side.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DepClient, fetchAllDevices, syncDevices, type Device } from '../../src/apple/dep/index.js';
import { createServer, portal, startSandbox, tokenFor, type Sandbox } from './support.js';

const ENROLL_URL = 'https://orchard.example.com/mdm/enroll/k3y';

describe('device activation', () => {
  let sandbox: Sandbox;
  let client: DepClient;
  let serverId: string;
  let serials: string[];
  let profileUuid: string;
  let cursor: string;

  /** Every sync event since the last call, moving the cursor on. */
  const syncEvents = async (): Promise<Device[]> => {
    const events: Device[] = [];
    for await (const page of syncDevices(client, cursor)) {
      events.push(...page.devices);
      cursor = page.cursor;
    }
    return events;
  };

  before(async () => {
    sandbox = await startSandbox({ listen: true });
    const created = await createServer(sandbox, 'Activation');
    serverId = created.id;
    const token = await tokenFor(sandbox, serverId, created.keyPair);
    client = new DepClient({ baseUrl: `${sandbox.baseUrl}/sandbox/dep`, token, sleep: async () => undefined });
    serials = (await portal(sandbox, 'POST', '/devices', { count: 5, family: 'iPhone', mdmServerId: serverId })).json()[
      'serials'
    ];
    const defined = await client.defineProfile({
      profileName: 'Orchard ADE',
      url: ENROLL_URL,
      isSupervised: true,
      isMandatory: true,
      isMdmRemovable: false,
      awaitDeviceConfigured: true,
      department: 'IT',
      language: 'en',
      region: 'US',
      skipSetupItems: ['Diagnostics', 'Privacy'],
      devices: [serials[0] ?? '', serials[1] ?? '', serials[2] ?? ''],
    });
    profileUuid = defined.profileUuid;
    for await (const page of fetchAllDevices(client)) cursor = page.cursor;
  });
  after(() => sandbox.destroy());

  test('the device gets its assigned profile as it sees it, and the sync then shows it pushed at that time', async () => {
    const serial = serials[0] ?? '';
    sandbox.clock.advance(60_000);
    const response = await portal(sandbox, 'POST', `/devices/${serial}/activation`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), {
      serial_number: serial,
      profile_uuid: profileUuid,
      profile_name: 'Orchard ADE',
      url: ENROLL_URL,
      is_supervised: true,
      is_mandatory: true,
      is_mdm_removable: false,
      await_device_configured: true,
      auto_advance_setup: false,
      is_multi_user: false,
      allow_pairing: true,
      is_return_to_service: false,
      skip_setup_items: ['Diagnostics', 'Privacy'],
      anchor_certs: [],
      supervising_host_certs: [],
      department: 'IT',
      language: 'en',
      region: 'US',
      org_name: 'Sandbox Organization',
      org_address: '100 Orchard Way, Cupertino CA 95014, United States',
      org_phone: '+1 408 555 0100',
      org_email: 'it@sandbox-org.example',
    });

    const events = await syncEvents();
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.serialNumber, serial);
    assert.equal(event?.opType, 'modified');
    assert.equal(event?.profileStatus, 'pushed');
    assert.equal(event?.profileUuid, profileUuid);
    assert.equal(event?.profilePushTime, '2026-06-01T12:01:00.000Z');

    const details = await client.deviceDetails([serial]);
    assert.equal(details[serial]?.profileStatus, 'pushed');
    const shown = (await portal(sandbox, 'GET', `/devices/${serial}`)).json();
    assert.equal(shown['profileStatus'], 'pushed');
    assert.equal(shown['profilePushedAt'], '2026-06-01T12:01:00Z');
  });

  test('asking again answers the same profile and adds nothing to the sync feed', async () => {
    const serial = serials[1] ?? '';
    const first = await portal(sandbox, 'POST', `/devices/${serial}/activation`);
    assert.equal((await syncEvents()).length, 1);
    sandbox.clock.advance(60_000);
    const second = await portal(sandbox, 'POST', `/devices/${serial}/activation`);
    assert.equal(second.status, 200);
    assert.deepEqual(second.json(), first.json());
    assert.deepEqual(await syncEvents(), [], 'no second modified event');
    const details = await client.deviceDetails([serial]);
    assert.equal(details[serial]?.profilePushTime, '2026-06-01T12:01:00.000Z', 'the first fetch’s time stays');
  });

  test('the device details carry the UDID and, while a profile is assigned, its uuid and url', async () => {
    const withProfile = (await portal(sandbox, 'GET', `/devices/${serials[2]}`)).json();
    assert.match(withProfile['udid'], /^[0-9A-F]{8}-[0-9A-F]{16}$/);
    assert.equal(withProfile['profileUuid'], profileUuid);
    assert.equal(withProfile['profileUrl'], ENROLL_URL);
    assert.equal(withProfile['profileStatus'], 'assigned');
    assert.equal(withProfile['mdmServerId'], serverId);

    const without = (await portal(sandbox, 'GET', `/devices/${serials[3]}`)).json();
    assert.equal(without['profileUuid'], null);
    assert.equal(without['profileUrl'], null);
    assert.notEqual(without['udid'], withProfile['udid']);
  });

  test('a device with no profile or no MDM server is refused with 409 and a code that says which, and nothing is logged', async () => {
    const noProfile = await portal(sandbox, 'POST', `/devices/${serials[3]}/activation`);
    assert.equal(noProfile.status, 409);
    assert.equal(noProfile.json()['code'], 'NO_PROFILE_ASSIGNED');

    const [unassigned] = (await portal(sandbox, 'POST', '/devices', { count: 1 })).json()['serials'] as string[];
    const noServer = await portal(sandbox, 'POST', `/devices/${unassigned}/activation`);
    assert.equal(noServer.status, 409);
    assert.equal(noServer.json()['code'], 'DEVICE_NOT_ASSIGNED');

    // A profile removed by the MDM server is no longer handed out.
    const serial = serials[2] ?? '';
    await client.removeProfile([serial]);
    assert.equal((await syncEvents()).length, 1, 'the removal itself');
    const removed = await portal(sandbox, 'POST', `/devices/${serial}/activation`);
    assert.equal(removed.status, 409);
    assert.equal(removed.json()['code'], 'NO_PROFILE_ASSIGNED');
    assert.deepEqual(await syncEvents(), []);
  });

  test('a disowned device is not found', async () => {
    const serial = serials[4] ?? '';
    await client.disownDevices([serial]);
    for (const [method, url] of [
      ['POST', `/devices/${serial}/activation`],
      ['POST', `/devices/${serial}/identity`],
      ['GET', `/devices/${serial}`],
    ] as const) {
      const response = await portal(sandbox, method, url);
      assert.equal(response.status, 404, url);
      assert.equal(response.json()['code'], 'DEVICE_NOT_FOUND');
    }
  });
});
