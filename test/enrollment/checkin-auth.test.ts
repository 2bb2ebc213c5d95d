// Every check-in and command poll is authenticated by its Mdm-Signature and bound to the
// identity the device presented at Authenticate. Refusals are 403 (never 401, which makes a
// device unenroll itself) and land on the device's timeline; the message types Orchard does
// not serve get the answers Apple documents.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parse } from 'plist';
import { createCertificateAuthority, createIdentity } from '../../src/mdm/pki/identity.js';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { dumpDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import {
  authenticateMessage,
  commandsOf,
  deviceOf,
  enrollDevice,
  eventsOf,
  expectRefusal,
  expectStatus,
  factoryDevice,
  idleReport,
  mdmSignature,
  plistXml,
  putSigned,
  requestProfile,
  scepIdentity,
  tokenUpdateMessage,
  type MdmDevice,
} from './support.js';

for (const { engine, skip } of await engines()) {
  describe(`check-ins are authenticated by the device's own identity (${engine})`, { skip }, () => {
    let f: EnrollmentFixture;
    let a: MdmDevice;
    let b: MdmDevice;

    before(async () => {
      f = await enrollmentFixture(engine, { devices: 4 });
      [a, b] = await Promise.all([
        enrollDevice(f, f.serials[0] as string, { awaitingConfiguration: false }),
        enrollDevice(f, f.serials[1] as string, { awaitingConfiguration: false }),
      ]);
    });
    after(() => f.close());

    const refusalsOf = async (serial: string) =>
      (await eventsOf(f, serial)).filter((e) => e.kind === 'checkin_refused');

    test('a message without Mdm-Signature is refused 403, never 401', async () => {
      await expectRefusal(
        putSigned(f.base, '/mdm/checkin', authenticateMessage(a), null),
        403,
        'CHECKIN_SIGNATURE_INVALID',
      );
      await expectRefusal(
        putSigned(f.base, '/mdm/connect', idleReport(a.udid), null),
        403,
        'CHECKIN_SIGNATURE_INVALID',
      );
      await expectRefusal(
        putSigned(f.base, '/mdm/connect', idleReport(a.udid), { header: '' }),
        403,
        'CHECKIN_SIGNATURE_INVALID',
      );
    });

    test('a signature over another body is refused 403', async () => {
      const header = await mdmSignature(idleReport(a.udid), a.identity);
      const body = tokenUpdateMessage(a, false);
      await expectRefusal(putSigned(f.base, '/mdm/checkin', body, { header }), 403, 'CHECKIN_SIGNATURE_INVALID');
      await expectRefusal(
        putSigned(f.base, '/mdm/connect', `${idleReport(a.udid)} `, { header }),
        403,
        'CHECKIN_SIGNATURE_INVALID',
      );
    });

    test('another enrolled device’s identity is refused 403 CHECKIN_IDENTITY_MISMATCH, on the timeline of the device named', async () => {
      const beforeA = (await refusalsOf(a.serial)).length;
      const beforeB = (await refusalsOf(b.serial)).length;
      // B's UDID, A's identity: not a way to take over B.
      await expectRefusal(
        putSigned(f.base, '/mdm/checkin', authenticateMessage({ ...b, topic: a.topic }), a.identity),
        403,
        'CHECKIN_IDENTITY_MISMATCH',
      );
      // A's TokenUpdate signed by B, and a poll for A signed by B.
      await expectRefusal(
        putSigned(f.base, '/mdm/checkin', tokenUpdateMessage(a, true), b.identity),
        403,
        'CHECKIN_IDENTITY_MISMATCH',
      );
      await expectRefusal(
        putSigned(f.base, '/mdm/connect', idleReport(a.udid), b.identity),
        403,
        'CHECKIN_IDENTITY_MISMATCH',
      );
      assert.equal((await refusalsOf(b.serial)).length, beforeB + 1);
      // The TokenUpdate and the poll are refused for the same reason: one line on A's timeline.
      assert.equal((await refusalsOf(a.serial)).length, beforeA + 1);
      // Both bindings are untouched: each device still reaches its own queue.
      for (const device of [a, b]) {
        await expectStatus(putSigned(f.base, '/mdm/connect', idleReport(device.udid), device.identity), 200);
        assert.equal((await deviceOf(f, device.serial)).enrollmentState, 'enrolled');
      }
    });

    test('the same refused message sent again and again leaves one line on the timeline, not one per request', async () => {
      const before = (await refusalsOf(b.serial)).length;
      for (let i = 0; i < 5; i += 1) {
        await expectRefusal(
          putSigned(f.base, '/mdm/connect', idleReport(b.udid), a.identity),
          403,
          'CHECKIN_IDENTITY_MISMATCH',
        );
      }
      const after = await refusalsOf(b.serial);
      assert.ok(after.length - before <= 1, `${after.length - before} new refusal lines`);
    });

    test('an identity from another CA, even with the device’s own name, is refused 403', async () => {
      const ca = await createCertificateAuthority({
        subject: [['CN', 'Orchard Device CA']],
        now: new Date(),
        validityDays: 30,
      });
      const impostor = await createIdentity({
        subject: [
          ['O', 'Orchard'],
          ['OU', a.udid],
          ['CN', a.serial],
        ],
        issuer: ca,
        now: new Date(),
        validityDays: 30,
        profile: 'client-identity',
      });
      const before = (await refusalsOf(a.serial)).length;
      await expectRefusal(
        putSigned(f.base, '/mdm/connect', idleReport(a.udid), impostor),
        403,
        'CHECKIN_SIGNATURE_INVALID',
      );
      await expectRefusal(
        putSigned(f.base, '/mdm/checkin', authenticateMessage(a), impostor),
        403,
        'CHECKIN_SIGNATURE_INVALID',
      );
      // Both refused for the same reason: one line on the timeline.
      const refusals = await refusalsOf(a.serial);
      assert.equal(refusals.length, before + 1);
      assert.match(refusals[0]?.detail ?? '', /not issued by Orchard's device CA/);
    });

    test('an unknown MessageType is refused 400', async () => {
      const body = plistXml({ MessageType: 'MakeCoffee', UDID: a.udid, Topic: a.topic });
      const problem = await expectRefusal(
        putSigned(f.base, '/mdm/checkin', body, a.identity),
        400,
        'CHECKIN_UNKNOWN_MESSAGE',
      );
      assert.match(problem.detail ?? '', /MakeCoffee/);
    });

    test('UserAuthenticate is answered 410, so the device stops asking', async () => {
      const body = plistXml({ MessageType: 'UserAuthenticate', UDID: a.udid, UserID: 'F0E1', UserShortName: 'alice' });
      await expectStatus(putSigned(f.base, '/mdm/checkin', body, a.identity), 410);
    });

    test('a bootstrap token set is given back byte for byte, and is not stored in the clear', async () => {
      const token = randomBytes(48);
      await expectStatus(
        putSigned(
          f.base,
          '/mdm/checkin',
          plistXml({ MessageType: 'SetBootstrapToken', UDID: a.udid, BootstrapToken: token }),
          a.identity,
        ),
        200,
      );
      const answer = await expectStatus(
        putSigned(f.base, '/mdm/checkin', plistXml({ MessageType: 'GetBootstrapToken', UDID: a.udid }), a.identity),
        200,
      );
      const got = (parse(answer) as { BootstrapToken: Uint8Array }).BootstrapToken;
      assert.ok(Buffer.from(got).equals(token));
      const dump = await dumpDatabase(f.t);
      for (const form of [token, Buffer.from(token.toString('base64')), Buffer.from(token.toString('hex'))]) {
        assert.equal(dump.indexOf(form), -1, 'the bootstrap token is sealed in the secret box');
      }
      // Another device cannot fetch it: B's GetBootstrapToken is for B.
      const forB = await expectStatus(
        putSigned(f.base, '/mdm/checkin', plistXml({ MessageType: 'GetBootstrapToken', UDID: b.udid }), b.identity),
        200,
      );
      assert.equal((parse(forB) as { BootstrapToken?: unknown }).BootstrapToken, undefined);
    });

    test('CheckOut unenrolls the device and cancels its open commands', async () => {
      const c = await enrollDevice(f, f.serials[2] as string, { awaitingConfiguration: true });
      assert.deepEqual(
        (await commandsOf(f, c.serial)).map((x) => x.status),
        ['queued', 'queued'],
      );
      await expectStatus(
        putSigned(
          f.base,
          '/mdm/checkin',
          plistXml({ MessageType: 'CheckOut', UDID: c.udid, Topic: c.topic }),
          c.identity,
        ),
        200,
      );
      assert.equal((await deviceOf(f, c.serial)).enrollmentState, 'unenrolled');
      assert.deepEqual(
        (await commandsOf(f, c.serial)).map((x) => x.status),
        ['canceled', 'canceled'],
      );
      assert.ok((await eventsOf(f, c.serial)).some((e) => e.kind === 'checked_out'));
      // Nothing is handed to a device that left.
      assert.equal(await expectStatus(putSigned(f.base, '/mdm/connect', idleReport(c.udid), c.identity), 200), '');
    });

    test('after a wipe, a new Authenticate replaces the binding and the old identity is refused from then on', async () => {
      const d = await enrollDevice(f, f.serials[3] as string, { awaitingConfiguration: false });
      // Wiped: the device asks for a profile again and gets a new identity.
      const again = await factoryDevice(f, d.serial);
      const profile = await requestProfile(again);
      const fresh = await scepIdentity(f.base, profile.challenge, d.serial);
      const renewed: MdmDevice = { ...d, identity: fresh };
      await expectStatus(putSigned(f.base, '/mdm/checkin', authenticateMessage(renewed), fresh), 200);
      await expectStatus(putSigned(f.base, '/mdm/checkin', tokenUpdateMessage(renewed, false), fresh), 200);
      assert.equal((await deviceOf(f, d.serial)).enrollmentState, 'enrolled');

      await expectRefusal(
        putSigned(f.base, '/mdm/connect', idleReport(d.udid), d.identity),
        403,
        'CHECKIN_IDENTITY_MISMATCH',
      );
      await expectRefusal(
        putSigned(f.base, '/mdm/checkin', tokenUpdateMessage(d, false), d.identity),
        403,
        'CHECKIN_IDENTITY_MISMATCH',
      );
      // Nor can the old identity Authenticate its way back and take the binding over again.
      const retake = await putSigned(f.base, '/mdm/checkin', authenticateMessage(d), d.identity);
      assert.equal(retake.status, 403, await retake.text());
      const poll = await putSigned(f.base, '/mdm/connect', idleReport(d.udid), fresh);
      assert.equal(poll.status, 200, 'the new identity still holds the binding');
      const command = await poll.text();
      assert.match(command, /DeviceInformation/, 'the new enrollment’s first command');
    });
  });
}
