// A token's profile can require a minimum OS: a device that says it can update before
// enrolling (MDM_CAN_REQUEST_SOFTWARE_UPDATE) and runs an older one gets Apple's 403
// `com.apple.softwareupdate.required` answer instead of a profile, and nothing is recorded as
// enrolling; a device that cannot update, or is new enough, gets its profile.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { engines } from '../helpers/services.js';
import {
  assertNothingEnrolled,
  deviceOf,
  eventsOf,
  factoryDevice,
  json,
  machineInfo,
  postMachineInfo,
  servedProfile,
  signAttached,
  type FactoryDevice,
} from './support.js';

for (const { engine, skip } of await engines()) {
  describe(`a minimum iOS version asks older devices to update first (${engine})`, { skip }, () => {
    let f: EnrollmentFixture;
    let device: FactoryDevice;

    before(async () => {
      f = await enrollmentFixture(engine, { devices: 1 });
      const path = `/api/v1/abm-tokens/${f.tokenId}/enrollment-profile`;
      // Everything the GET says, less its read-only fields (the PUT refuses unknown properties).
      const { url, profileUuid, definedAt, lastError, ...editable } = await json<Record<string, unknown>>(f.api(path));
      assert.ok(url !== undefined && profileUuid !== undefined && definedAt !== undefined && lastError !== undefined);
      const saved = await json<Record<string, unknown>>(
        f.api(path, { method: 'PUT', body: JSON.stringify({ ...editable, minimumIosVersion: '18.2' }) }),
      );
      assert.equal(saved['minimumIosVersion'], '18.2');
      device = await factoryDevice(f, f.serials[0] as string);
    });
    after(() => f.close());

    const ask = async (extra: Parameters<typeof machineInfo>[1]) =>
      postMachineInfo(device.enrollUrl, await signAttached(machineInfo(device, extra), device.factory));

    test('a device on 18.1 that can update gets 403 com.apple.softwareupdate.required naming 18.2, and is not enrolling', async () => {
      const r = await ask({ OS_VERSION: '18.1', MDM_CAN_REQUEST_SOFTWARE_UPDATE: true });
      assert.equal(r.status, 403);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await r.json(), { code: 'com.apple.softwareupdate.required', details: { OSVersion: '18.2' } });
      await assertNothingEnrolled(f, device.serial);
      const [event] = await eventsOf(f, device.serial);
      assert.equal(event?.kind, 'software_update_required');
      assert.match(event?.detail ?? '', /18\.1.*18\.2/);
    });

    test('a device on 18.1 that cannot update before enrolling gets its profile', async () => {
      const profile = await servedProfile(await ask({ OS_VERSION: '18.1' }));
      assert.ok(profile.challenge);
      assert.equal((await deviceOf(f, device.serial)).enrollmentState, 'enrolling');
    });

    test('a device that can update and already runs 18.2 (or later) gets its profile', async () => {
      for (const version of ['18.2', '18.10']) {
        const profile = await servedProfile(await ask({ OS_VERSION: version, MDM_CAN_REQUEST_SOFTWARE_UPDATE: true }));
        assert.ok(profile.challenge, version);
      }
    });
  });
}
