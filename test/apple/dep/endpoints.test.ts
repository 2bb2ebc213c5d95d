import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DepClient, type Device } from '../../../src/apple/dep/index.js';
import { ValidationError } from '../../../src/domain/errors.js';
import { startFakeApple, testOptions, type FakeApple } from './support/fake-apple.js';

async function fresh(): Promise<{ apple: FakeApple; client: DepClient }> {
  const apple = await startFakeApple();
  return { apple, client: new DepClient(testOptions(apple).options) };
}

const APPLE_DEVICE = {
  serial_number: 'C02XK1ZZJHD3',
  model: 'MacBook Pro 14"',
  description: 'MBP 14 SPG/8C CPU/14C GPU',
  color: 'SPACE GRAY',
  asset_tag: 'ACME-0042',
  os: 'OSX',
  device_family: 'Mac',
  profile_status: 'pushed',
  profile_uuid: '88A3E1E3D2CB4C4B',
  profile_assign_time: '2025-05-30T08:15:00Z',
  profile_push_time: '2025-05-30T09:00:01Z',
  device_assigned_date: '2025-05-29T17:42:10Z',
  device_assigned_by: 'it@acme.example',
  op_type: 'modified',
  op_date: '2025-05-31T10:00:00Z',
  mdm_migration_deadline: '2025-07-01T00:00:00Z',
  some_future_field: { nested: true },
};

test('GET /account maps every field to camelCase and tolerates unknown ones', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('GET /account', {
    body: {
      server_name: 'Orchard – Acme',
      server_uuid: '9c0e2a6c-1111-4000-8000-000000000001',
      admin_id: 'admin@acme.example',
      facilitator_id: 'facilitator@acme.example',
      org_name: 'Acme Ltd',
      org_email: 'it@acme.example',
      org_phone: '+44 20 7946 0000',
      org_address: '1 High Street, London',
      org_id: '1234567',
      org_id_hash: 'ab12cd',
      org_type: 'org',
      org_version: 'v2',
      urls: [
        { uri: '/server/devices', http_method: ['POST'], limit: { default: 100, maximum: 1000 } },
        { uri: '/session', http_method: 'GET' },
        'junk',
      ],
      unheard_of: 1,
    },
  });
  assert.deepEqual(await client.account(), {
    serverName: 'Orchard – Acme',
    serverUuid: '9c0e2a6c-1111-4000-8000-000000000001',
    adminId: 'admin@acme.example',
    facilitatorId: 'facilitator@acme.example',
    orgName: 'Acme Ltd',
    orgEmail: 'it@acme.example',
    orgPhone: '+44 20 7946 0000',
    orgAddress: '1 High Street, London',
    orgId: '1234567',
    orgIdHash: 'ab12cd',
    orgType: 'org',
    orgVersion: 'v2',
    urls: [
      { uri: '/server/devices', httpMethods: ['POST'], limit: { default: 100, maximum: 1000 } },
      { uri: '/session', httpMethods: ['GET'], limit: null },
    ],
  });
});

test('a device maps every field of the protocol page; missing fields are null and dates are ISO UTC', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', {
    body: {
      cursor: 'c1',
      fetched_until: '2025-06-01T12:00:00Z',
      more_to_follow: false,
      devices: [
        APPLE_DEVICE,
        { serial_number: 'DMPZZ1', profile_assign_time: '2025-05-30 08:15:00' },
        { model: 'no serial' },
      ],
    },
  });
  const page = await client.fetchDevices();
  const expected: Device = {
    serialNumber: 'C02XK1ZZJHD3',
    model: 'MacBook Pro 14"',
    description: 'MBP 14 SPG/8C CPU/14C GPU',
    color: 'SPACE GRAY',
    assetTag: 'ACME-0042',
    os: 'OSX',
    deviceFamily: 'Mac',
    profileStatus: 'pushed',
    profileUuid: '88A3E1E3D2CB4C4B',
    profileAssignTime: '2025-05-30T08:15:00.000Z',
    profilePushTime: '2025-05-30T09:00:01.000Z',
    deviceAssignedDate: '2025-05-29T17:42:10.000Z',
    deviceAssignedBy: 'it@acme.example',
    opType: 'modified',
    opDate: '2025-05-31T10:00:00.000Z',
    mdmMigrationDeadline: '2025-07-01T00:00:00.000Z',
  };
  assert.deepEqual(page.devices[0], expected);
  assert.equal(page.devices[1]?.serialNumber, 'DMPZZ1');
  assert.equal(page.devices[1]?.model, null);
  assert.equal(
    page.devices[1]?.profileAssignTime,
    '2025-05-30T08:15:00.000Z',
    'no offset: read as UTC, not local time',
  );
  assert.equal(page.devices.length, 2);
  assert.equal(page.ignoredDevices, 1);
  assert.equal(page.fetchedUntil, '2025-06-01T12:00:00.000Z');
  assert.equal(page.cursor, 'c1');
});

test('limit is checked client-side: 1–1000, and nothing is sent otherwise', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  for (const limit of [0, 1001, 5000, 2.5]) {
    await assert.rejects(client.fetchDevices({ limit }), ValidationError);
    await assert.rejects(client.syncDevices({ cursor: 'c', limit }), ValidationError);
  }
  await assert.rejects(client.syncDevices({ cursor: '' }), ValidationError);
  assert.equal(apple.requests.length, 0);
});

test('device details: POST /devices with the serials, answers keyed by serial with response_status', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /devices', (request) => {
    const serials = (request.json as { devices: string[] }).devices;
    return {
      body: {
        devices: Object.fromEntries(
          serials.map((serial) =>
            serial === 'UNKNOWN1'
              ? [serial, { response_status: 'NOT_ACCESSIBLE' }]
              : [serial, { ...APPLE_DEVICE, serial_number: serial, response_status: 'SUCCESS' }],
          ),
        ),
      },
    };
  });
  const details = await client.deviceDetails(['C02XK1ZZJHD3', 'UNKNOWN1']);
  assert.equal(details['C02XK1ZZJHD3']?.responseStatus, 'SUCCESS');
  assert.equal(details['C02XK1ZZJHD3']?.profileStatus, 'pushed');
  assert.equal(details['UNKNOWN1']?.responseStatus, 'NOT_ACCESSIBLE');
  assert.equal(details['UNKNOWN1']?.serialNumber, 'UNKNOWN1');
  assert.deepEqual(apple.calls('POST /devices')[0]?.json, { devices: ['C02XK1ZZJHD3', 'UNKNOWN1'] });

  const many = Array.from({ length: 1500 }, (_, n) => `S${n}`);
  assert.equal(Object.keys(await client.deviceDetails(many)).length, 1500);
  assert.deepEqual(
    apple
      .calls('POST /devices')
      .slice(1)
      .map((request) => (request.json as { devices: string[] }).devices.length),
    [1000, 500],
  );
});

test('disown: POST /devices/disown, at most 1000 serials and never batched behind the caller’s back', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /devices/disown', { body: { devices: { A1: 'SUCCESS', B2: 'NOT_ACCESSIBLE' } } });
  assert.deepEqual(await client.disownDevices(['A1', 'B2']), { A1: 'SUCCESS', B2: 'NOT_ACCESSIBLE' });
  assert.deepEqual(apple.calls('POST /devices/disown')[0]?.json, { devices: ['A1', 'B2'] });
  await assert.rejects(client.disownDevices(Array.from({ length: 1001 }, (_, n) => `S${n}`)), ValidationError);
  assert.equal(apple.calls('POST /devices/disown').length, 1);
});

test('define profile sends snake_case JSON without unset fields and returns the new UUID', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /profile', { body: { profile_uuid: 'P-NEW', devices: { A1: 'SUCCESS' } } });
  const result = await client.defineProfile({
    profileName: 'Acme staff',
    url: 'https://orchard.example/mdm/enroll/k3y',
    isSupervised: true,
    isMandatory: true,
    isMdmRemovable: false,
    awaitDeviceConfigured: true,
    supportPhoneNumber: '+44 20 7946 0000',
    department: 'IT',
    language: 'en',
    region: 'GB',
    skipSetupItems: ['Siri', 'Diagnostics'],
    anchorCerts: ['MIIB…'],
    devices: ['A1'],
  });
  assert.deepEqual(result, { profileUuid: 'P-NEW', devices: { A1: 'SUCCESS' } });
  assert.deepEqual(apple.calls('POST /profile')[0]?.json, {
    profile_name: 'Acme staff',
    url: 'https://orchard.example/mdm/enroll/k3y',
    is_supervised: true,
    is_mandatory: true,
    is_mdm_removable: false,
    await_device_configured: true,
    support_phone_number: '+44 20 7946 0000',
    department: 'IT',
    language: 'en',
    region: 'GB',
    skip_setup_items: ['Siri', 'Diagnostics'],
    anchor_certs: ['MIIB…'],
    devices: ['A1'],
  });
});

test('get profile asks GET /profile?profile_uuid= and maps the answer back to camelCase', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('GET /profile', {
    body: {
      profile_uuid: 'P1',
      profile_name: 'Acme staff',
      url: 'https://x/enroll',
      is_supervised: true,
      allow_pairing: false,
      skip_setup_items: ['TOS'],
      extra_future: 'x',
    },
  });
  assert.deepEqual(await client.getProfile('P1'), {
    profileUuid: 'P1',
    profileName: 'Acme staff',
    url: 'https://x/enroll',
    isSupervised: true,
    allowPairing: false,
    skipSetupItems: ['TOS'],
  });
  assert.equal(new URL(apple.calls('GET /profile')[0]?.url ?? '').searchParams.get('profile_uuid'), 'P1');
});

test('assign profile batches by 1000, merges per-serial statuses and keeps the longest retry_after_seconds', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /profile/devices', (request, nth) => {
    const { profile_uuid, devices } = request.json as { profile_uuid: string; devices: string[] };
    return {
      body: {
        profile_uuid,
        devices: Object.fromEntries(devices.map((serial) => [serial, nth === 2 ? 'THROTTLED' : 'SUCCESS'])),
        ...(nth === 2 ? { retry_after_seconds: 120 } : nth === 3 ? { retry_after_seconds: 30 } : {}),
      },
    };
  });
  const serials = Array.from({ length: 2001 }, (_, n) => `S${n}`);
  const result = await client.assignProfile('P1', serials);

  assert.deepEqual(
    apple.calls('POST /profile/devices').map((request) => (request.json as { devices: string[] }).devices.length),
    [1000, 1000, 1],
  );
  assert.equal(Object.keys(result.devices).length, 2001);
  assert.equal(result.devices['S0'], 'SUCCESS');
  assert.equal(result.devices['S1500'], 'THROTTLED');
  assert.equal(result.retryAfterSeconds, 120);
  assert.equal(result.profileUuid, 'P1');
});

test('remove profile is DELETE /profile/devices with a JSON body', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('DELETE /profile/devices', { body: { devices: { A1: 'SUCCESS' } } });
  assert.deepEqual(await client.removeProfile(['A1']), { A1: 'SUCCESS' });
  await client.removeProfile(['A1'], { profileUuid: 'P1' });
  const [first, second] = apple.calls('DELETE /profile/devices');
  assert.equal(first?.headers['content-type'], 'application/json;charset=UTF8');
  assert.deepEqual(first?.json, { devices: ['A1'] });
  assert.deepEqual(second?.json, { devices: ['A1'], profile_uuid: 'P1' });
});

test('activation lock posts device, escrow_key and lost_message', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /device/activationlock', { body: { serial_number: 'A1', response_status: 'SUCCESS' } });
  assert.deepEqual(await client.activationLock({ device: 'A1', escrowKey: 'E5C0', lostMessage: 'Call IT' }), {
    serialNumber: 'A1',
    responseStatus: 'SUCCESS',
  });
  assert.deepEqual(apple.calls('POST /device/activationlock')[0]?.json, {
    device: 'A1',
    escrow_key: 'E5C0',
    lost_message: 'Call IT',
  });
});
