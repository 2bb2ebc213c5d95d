// The SCEP challenge in a served profile is single use and short-lived: a replayed, expired
// or unknown challenge gets a CertRep FAILURE (badRequest) and never a certificate, and each
// refusal for a known device is on its enrollment timeline.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { ManualClock } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import {
  anotherInstance,
  deviceOf,
  eventsOf,
  factoryDevice,
  machineInfo,
  mdmRows,
  postMachineInfo,
  requestProfile,
  scepEnroll,
  servedProfile,
  signAttached,
  type Instance,
} from './support.js';

const MINUTE = 60_000;

for (const { engine, skip } of await engines()) {
  describe(`SCEP challenges are single use and short-lived (${engine})`, { skip }, () => {
    let f: EnrollmentFixture;
    // A second instance on the same database whose clock the tests move.
    let timed: Instance;
    let clock: ManualClock;

    before(async () => {
      clock = new ManualClock(new Date());
      const env = { ORCHARD_SCEP_CHALLENGE_MINUTES: '5' };
      f = await enrollmentFixture(engine, { devices: 2, env });
      timed = await anotherInstance(f, { clock, env });
    });
    after(async () => {
      await timed.close();
      await f.close();
    });

    test('a used challenge gets FAILURE badRequest and no certificate, and the device’s timeline shows the refusal', async () => {
      const device = await factoryDevice(f, f.serials[0] as string);
      const profile = await requestProfile(device);
      const first = await scepEnroll(f.base, profile.challenge, device.serial);
      assert.equal(first.status, 'SUCCESS');
      const replay = await scepEnroll(f.base, profile.challenge, device.serial);
      assert.deepEqual(replay, { status: 'FAILURE', failInfo: 'badRequest' });
      const refusals = (await eventsOf(f, device.serial)).filter((e) => e.kind === 'identity_refused');
      assert.equal(refusals.length, 1);
      assert.equal(refusals[0]?.outcome, 'refused');
      assert.match(refusals[0]?.detail ?? '', /already used/);
      const issued = (await eventsOf(f, device.serial)).filter((e) => e.kind === 'identity_issued');
      assert.equal(issued.length, 1, 'one identity, not two');
    });

    test('a challenge past its lifetime gets FAILURE badRequest, and the timeline says it expired', async () => {
      const device = await factoryDevice(f, f.serials[1] as string);
      // The profile comes from the instance whose clock moves, so the challenge's lifetime starts on that clock.
      const url = new URL(device.enrollUrl);
      const profile = await servedProfile(
        await postMachineInfo(`${timed.base}${url.pathname}`, await signAttached(machineInfo(device), device.factory)),
      );
      clock.advance(6 * MINUTE);
      const late = await scepEnroll(timed.base, profile.challenge, device.serial);
      assert.deepEqual(late, { status: 'FAILURE', failInfo: 'badRequest' });
      const events = await eventsOf(f, device.serial);
      assert.ok(events.some((e) => e.kind === 'identity_refused' && /expired/.test(e.detail ?? '')));
      assert.ok(!events.some((e) => e.kind === 'identity_issued'));
      assert.equal((await deviceOf(f, device.serial)).enrollmentState, 'enrolling');
      assert.deepEqual(await mdmRows(f.t, device.serial), { attempts: 1, enrollments: 0, commands: 0 });
    });

    test('a challenge Orchard never served gets FAILURE badRequest', async () => {
      const unknown = await scepEnroll(f.base, randomBytes(32).toString('base64url'), f.serials[0] as string);
      assert.deepEqual(unknown, { status: 'FAILURE', failInfo: 'badRequest' });
      const empty = await scepEnroll(f.base, '', f.serials[0] as string);
      assert.deepEqual(empty, { status: 'FAILURE', failInfo: 'badRequest' });
    });
  });
}
