// DEP profiles: Apple's validation errors on POST /profile, GET /profile, assignment with
// per-device statuses, removal, and the profile_status a device goes through.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { portal, serverWithClient, startSandbox, type DepClient, type Sandbox } from './support.js';

const VALID = { profile_name: 'Orchard enrollment', url: 'https://orchard.example.com/mdm/enroll/abc' };

describe('DEP profiles', () => {
  let sandbox: Sandbox;
  let a: { id: string; dep: DepClient };
  let b: { id: string; dep: DepClient };
  let serials: string[];
  let foreign: string;

  before(async () => {
    sandbox = await startSandbox();
    a = await serverWithClient(sandbox, 'Profiles A');
    b = await serverWithClient(sandbox, 'Profiles B');
    serials = (await portal(sandbox, 'POST', '/devices', { count: 10, family: 'iPad', mdmServerId: a.id })).json()[
      'serials'
    ];
    foreign = (await portal(sandbox, 'POST', '/devices', { count: 1, mdmServerId: b.id })).json()['serials'][0];
  });
  after(() => sandbox.destroy());

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['profile_name missing', { url: VALID.url }, 'CONFIG_NAME_REQUIRED'],
    ['profile_name empty', { ...VALID, profile_name: '' }, 'CONFIG_NAME_INVALID'],
    ['profile_name over 125 characters', { ...VALID, profile_name: 'n'.repeat(126) }, 'CONFIG_NAME_INVALID'],
    ['url missing', { profile_name: 'x' }, 'CONFIG_URL_REQUIRED'],
    ['url not a URL', { ...VALID, url: 'not a url' }, 'CONFIG_URL_INVALID'],
    ['url over 2000 characters', { ...VALID, url: `https://example.com/${'a'.repeat(2000)}` }, 'CONFIG_URL_INVALID'],
    ['is_mdm_removable false without supervision', { ...VALID, is_mdm_removable: false }, 'FLAGS_INVALID'],
    ['a flag that is not a boolean', { ...VALID, is_supervised: 'yes' }, 'FLAGS_INVALID'],
    ['department over 125', { ...VALID, department: 'd'.repeat(126) }, 'DEPARTMENT_INVALID'],
    ['support_phone_number over 50', { ...VALID, support_phone_number: '1'.repeat(51) }, 'SUPPORT_PHONE_INVALID'],
    [
      'support_email_address over 250',
      { ...VALID, support_email_address: `${'e'.repeat(245)}@example.com` },
      'SUPPORT_EMAIL_INVALID',
    ],
    ['support_email_address not an address', { ...VALID, support_email_address: 'help desk' }, 'SUPPORT_EMAIL_INVALID'],
    ['org_magic over 256', { ...VALID, org_magic: 'm'.repeat(257) }, 'MAGIC_INVALID'],
    ['language not ISO 639', { ...VALID, language: 'english' }, 'LOCALE_INVALID'],
    ['region not ISO 3166', { ...VALID, language: 'en', region: 'USA' }, 'LOCALE_INVALID'],
  ];
  for (const [what, body, code] of cases) {
    test(`POST /profile with ${what} is 400 ${code}`, async () => {
      const response = await a.dep.call('POST', '/profile', body);
      assert.equal(response.status, 400);
      assert.equal(response.body, code);
    });
  }

  test('POST /profile stores the profile, assigns it to the listed devices and GET /profile returns it', async () => {
    const profile = {
      ...VALID,
      is_supervised: true,
      is_mdm_removable: false,
      await_device_configured: true,
      department: 'IT',
      support_phone_number: '+1 555 0100',
      support_email_address: 'help@example.com',
      language: 'en',
      region: 'US',
      skip_setup_items: ['AppleID', 'Siri'],
    };
    const response = await a.dep.call('POST', '/profile', { ...profile, devices: [serials[0], foreign] });
    assert.equal(response.status, 200);
    const { profile_uuid: uuid, devices } = response.json();
    assert.match(uuid, /^[0-9A-F]{32}$/);
    assert.deepEqual(devices, { [serials[0] ?? '']: 'SUCCESS', [foreign]: 'NOT_ACCESSIBLE' });

    const fetched = await a.dep.call('GET', `/profile?profile_uuid=${uuid}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.json(), { ...profile, profile_uuid: uuid });

    const required = await a.dep.call('GET', '/profile');
    assert.equal(required.status, 400);
    assert.equal(required.body, 'PROFILE_UUID_REQUIRED');
    // A profile exists only inside the MDM server that defined it.
    const other = await b.dep.call('GET', `/profile?profile_uuid=${uuid}`);
    assert.equal(other.status, 404);
    assert.equal(other.body, 'PROFILE_NOT_FOUND');
  });

  test('POST /profile/devices answers SUCCESS, NOT_ACCESSIBLE, or FAILED for an unknown profile; PUT works too', async () => {
    const uuid = (await a.dep.call('POST', '/profile', VALID)).json().profile_uuid as string;
    const assigned = await a.dep.call('POST', '/profile/devices', {
      profile_uuid: uuid,
      devices: [serials[1], foreign, 'NOSUCHDEVICE'],
    });
    assert.deepEqual(assigned.json(), {
      profile_uuid: uuid,
      devices: { [serials[1] ?? '']: 'SUCCESS', [foreign]: 'NOT_ACCESSIBLE', NOSUCHDEVICE: 'NOT_ACCESSIBLE' },
    });
    const legacy = await a.dep.call('PUT', '/profile/devices', { profile_uuid: uuid, devices: [serials[2]] });
    assert.deepEqual(legacy.json().devices, { [serials[2] ?? '']: 'SUCCESS' });
    const unknown = await a.dep.call('POST', '/profile/devices', { profile_uuid: 'FFFF', devices: [serials[3]] });
    assert.deepEqual(unknown.json().devices, { [serials[3] ?? '']: 'FAILED' });

    assert.equal(
      (await a.dep.call('POST', '/profile/devices', { devices: [serials[1]] })).body,
      'PROFILE_UUID_REQUIRED',
    );
    assert.equal((await a.dep.call('POST', '/profile/devices', { profile_uuid: uuid })).body, 'DEVICE_ID_REQUIRED');
    const tooMany = await a.dep.call('POST', '/profile/devices', {
      profile_uuid: uuid,
      devices: Array.from({ length: 1001 }, (_, i) => `S${i}`),
    });
    assert.equal(tooMany.status, 400);
  });

  test('profile_status goes empty → assigned → pushed → removed, with times', async () => {
    const serial = serials[5] ?? '';
    const status = async () => (await a.dep.call('POST', '/devices', { devices: [serial] })).json().devices[serial];
    assert.equal((await status()).profile_status, 'empty');

    const uuid = (await a.dep.call('POST', '/profile', VALID)).json().profile_uuid as string;
    await a.dep.call('POST', '/profile/devices', { profile_uuid: uuid, devices: [serial] });
    const assigned = await status();
    assert.equal(assigned.profile_status, 'assigned');
    assert.equal(assigned.profile_uuid, uuid);
    assert.match(assigned.profile_assign_time, /Z$/);

    sandbox.clock.advance(5_000);
    assert.equal((await portal(sandbox, 'POST', `/devices/${serial}/profile-pushed`)).status, 200);
    const pushed = await status();
    assert.equal(pushed.profile_status, 'pushed');
    assert.match(pushed.profile_push_time, /Z$/);

    const removed = await a.dep.call('DELETE', '/profile/devices', { devices: [serial, foreign] });
    assert.deepEqual(removed.json(), { devices: { [serial]: 'SUCCESS', [foreign]: 'NOT_ACCESSIBLE' } });
    assert.equal((await status()).profile_status, 'removed');
    assert.equal((await status()).profile_uuid, undefined);

    // Marking pushed needs a profile.
    assert.equal((await portal(sandbox, 'POST', `/devices/${serial}/profile-pushed`)).status, 409);
  });
});
