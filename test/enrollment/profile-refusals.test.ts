// The enrollment URL refuses every device it must, each with its own code, and records nothing
// as enrolled for it: no profile request kept, no enrollment, no command, the device still
// awaiting enrollment. The web-view flow (MachineInfo in a header of a GET) works the same way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createIdentity } from '../../src/mdm/pki/identity.js';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { engines } from '../helpers/services.js';
import {
  assertNothingEnrolled,
  deviceOf,
  eventsOf,
  expectRefusal,
  factoryDevice,
  machineInfo,
  mdmRows,
  plistXml,
  postMachineInfo,
  secondToken,
  servedProfile,
  signAttached,
  syncAll,
  type FactoryDevice,
} from './support.js';

for (const { engine, skip } of await engines()) {
  describe(`the enrollment URL refuses what it must (${engine})`, { skip }, () => {
    let f: EnrollmentFixture;
    let device: FactoryDevice;
    let other: { tokenId: string; serials: string[] };

    before(async () => {
      f = await enrollmentFixture(engine, { devices: 3 });
      device = await factoryDevice(f, f.serials[0] as string);
      other = await secondToken(f, 1);
    });
    after(() => f.close());

    const post = async (body: string | Uint8Array, signer = device.factory, url = device.enrollUrl) =>
      postMachineInfo(url, await signAttached(body, signer));

    test('an unknown enrollment key is refused 404 ENROLLMENT_KEY_UNKNOWN', async () => {
      const url = new URL(device.enrollUrl);
      url.pathname = '/mdm/enroll/this-key-belongs-to-no-token';
      await expectRefusal(post(machineInfo(device), device.factory, url.toString()), 404, 'ENROLLMENT_KEY_UNKNOWN');
      await assertNothingEnrolled(f, device.serial);
    });

    test('a device of another token is refused 403 DEVICE_NOT_ON_TOKEN, and its timeline says so', async () => {
      const stranger = await factoryDevice(f, other.serials[0] as string);
      await expectRefusal(post(machineInfo(stranger), stranger.factory), 403, 'DEVICE_NOT_ON_TOKEN');
      await assertNothingEnrolled(f, stranger.serial);
      const events = await eventsOf(f, stranger.serial);
      assert.deepEqual(
        events.map((e) => [e.kind, e.outcome]),
        [['profile_refused', 'refused']],
      );
    });

    test('a serial Orchard never synced is refused 403 DEVICE_NOT_ON_TOKEN', async () => {
      const unknown = { serial: 'C0NEVERSYNCED', udid: device.udid };
      await expectRefusal(post(machineInfo(unknown)), 403, 'DEVICE_NOT_ON_TOKEN');
      assert.deepEqual(await mdmRows(f.t, unknown.serial), { attempts: 0, enrollments: 0, commands: 0 });
      await assertNothingEnrolled(f, device.serial);
    });

    test('a device removed from the MDM server in ABM and synced is refused 403 DEVICE_REMOVED', async () => {
      const removed = await factoryDevice(f, f.serials[1] as string);
      const r = await f.api(`/sandbox/abm/api/mdm-servers/${f.serverId}/devices`, {
        method: 'DELETE',
        body: JSON.stringify({ serials: [removed.serial] }),
      });
      assert.equal(r.status, 200, await r.text());
      await syncAll(f);
      const before = await deviceOf(f, removed.serial);
      assert.ok(before['removedAt'], 'the sync saw it removed');
      await expectRefusal(post(machineInfo(removed), removed.factory), 403, 'DEVICE_REMOVED');
      const afterwards = await deviceOf(f, removed.serial);
      assert.equal(afterwards.enrollmentState, before.enrollmentState);
      assert.deepEqual(await mdmRows(f.t, removed.serial), { attempts: 0, enrollments: 0, commands: 0 });
      assert.deepEqual(
        (await eventsOf(f, removed.serial)).map((e) => e.kind),
        ['profile_refused'],
      );
    });

    test('a MachineInfo changed after it was signed is refused 403 MACHINE_INFO_SIGNATURE_INVALID', async () => {
      const signed = await signAttached(machineInfo(device), device.factory);
      const at = signed.indexOf('iPhone15,2');
      assert.ok(at > 0, 'the content is in the message');
      signed[at + 6] = '9'.charCodeAt(0); // iPhone15,2 → iPhone19,2
      await expectRefusal(postMachineInfo(device.enrollUrl, signed), 403, 'MACHINE_INFO_SIGNATURE_INVALID');
      await assertNothingEnrolled(f, device.serial);
    });

    test('a MachineInfo signed by a self-made identity is refused 403 MACHINE_INFO_UNTRUSTED_SIGNER', async () => {
      const forged = await createIdentity({
        subject: [
          ['CN', device.udid],
          ['O', 'Apple Inc.'],
        ],
        now: new Date(),
        validityDays: 30,
        profile: 'client-identity',
      });
      await expectRefusal(post(machineInfo(device), forged), 403, 'MACHINE_INFO_UNTRUSTED_SIGNER');
      await assertNothingEnrolled(f, device.serial);
    });

    for (const key of ['UDID', 'SERIAL', 'PRODUCT', 'VERSION']) {
      test(`a MachineInfo without ${key} is refused 400 MACHINE_INFO_INCOMPLETE`, async () => {
        const fields: Record<string, string> = {
          UDID: device.udid,
          SERIAL: device.serial,
          PRODUCT: 'iPhone15,2',
          VERSION: '22B83',
          OS_VERSION: '18.1',
        };
        delete fields[key];
        await expectRefusal(post(plistXml(fields)), 400, 'MACHINE_INFO_INCOMPLETE');
        // A present key of the wrong type is as good as missing.
        await expectRefusal(post(plistXml({ ...fields, [key]: 42.5 })), 400, 'MACHINE_INFO_INCOMPLETE');
        await assertNothingEnrolled(f, device.serial);
      });
    }

    test('an empty body is refused 400 MACHINE_INFO_MISSING', async () => {
      await expectRefusal(postMachineInfo(device.enrollUrl, Buffer.alloc(0)), 400, 'MACHINE_INFO_MISSING');
      await assertNothingEnrolled(f, device.serial);
    });

    test('the web-view flow: a GET with the MachineInfo in x-apple-aspen-deviceinfo gets the profile; garbage there is refused 400', async () => {
      const url = device.enrollUrl;
      for (const garbage of ['not base64 at all!', Buffer.from('random bytes, not CMS').toString('base64'), '====']) {
        const r = await fetch(url, { headers: { 'x-apple-aspen-deviceinfo': garbage } });
        assert.equal(r.status, 400, `${garbage}: ${await r.text()}`);
      }
      await expectRefusal(fetch(url), 400, 'MACHINE_INFO_MISSING');
      await assertNothingEnrolled(f, device.serial);

      const web = await factoryDevice(f, f.serials[2] as string);
      const cms = await signAttached(machineInfo(web), web.factory);
      const profile = await servedProfile(
        await fetch(web.enrollUrl, { headers: { 'x-apple-aspen-deviceinfo': cms.toString('base64') } }),
      );
      assert.ok(profile.challenge.length >= 32);
      assert.equal((await deviceOf(f, web.serial)).enrollmentState, 'enrolling');
      assert.deepEqual(await mdmRows(f.t, web.serial), { attempts: 1, enrollments: 0, commands: 0 });
    });
  });
}
