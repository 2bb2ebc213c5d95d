// Two Orchard instances on one database (the same SQLite file, or the same PostgreSQL
// schema) are one enrollment server: they share the device CA and the profile signer (the
// first one made wins), and a device that talks to them in turn gets each command once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { engines } from '../helpers/services.js';
import {
  anotherInstance,
  answerReport,
  authenticateMessage,
  commandIn,
  commandsOf,
  deviceInformationAnswer,
  deviceOf,
  eventsOf,
  expectStatus,
  factoryDevice,
  idleReport,
  machineInfo,
  postMachineInfo,
  putSigned,
  requestProfile,
  scepIdentity,
  servedProfile,
  signAttached,
  tokenUpdateMessage,
  type Instance,
  type MdmDevice,
} from './support.js';

for (const { engine, skip } of await engines()) {
  describe(`two instances share one enrollment server (${engine})`, { skip }, () => {
    let f: EnrollmentFixture;
    let b: Instance;

    before(async () => {
      f = await enrollmentFixture(engine, { devices: 2 });
      b = await anotherInstance(f);
    });
    after(async () => {
      await b.close();
      await f.close();
    });

    test('both use one device CA and one profile signer: the first made wins, the other’s key is dropped', async () => {
      const [one, two] = [f.t.orchard.enrollment.identities, b.t.orchard.enrollment.identities];
      const [caOne, caTwo, signerOne, signerTwo] = await Promise.all([
        one.deviceCa(),
        two.deviceCa(),
        one.profileSigner(),
        two.profileSigner(),
      ]);
      assert.equal(caOne.certificatePem, caTwo.certificatePem);
      assert.equal(caOne.privateKeyPem, caTwo.privateKeyPem);
      assert.equal(signerOne.certificatePem, signerTwo.certificatePem);

      const db = f.t.orchard.db.kysely;
      const identities = await db.selectFrom('pki_identities').select(['name', 'private_key_secret_id']).execute();
      assert.deepEqual(identities.map((i) => i.name).sort(), ['device_ca', 'profile_signer']);
      const keys = await db.selectFrom('secrets').select(['id', 'purpose']).where('purpose', 'like', 'pki.%').execute();
      assert.deepEqual(
        keys.map((k) => k.id).sort(),
        identities.map((i) => i.private_key_secret_id).sort(),
        'no sealed key left behind by the instance that lost',
      );

      const caCert = async (base: string) =>
        Buffer.from(await (await fetch(`${base}/mdm/scep?operation=GetCACert`)).arrayBuffer());
      assert.ok((await caCert(f.base)).equals(await caCert(b.base)));
    });

    test('a device served by both in turn gets DeviceInformation once and DeviceConfigured once, each recorded once', async () => {
      const device = await factoryDevice(f, f.serials[0] as string);
      // The profile from A: its challenge works on B.
      const profile = await requestProfile(device);
      const identity = await scepIdentity(b.base, profile.challenge, device.serial);
      const d: MdmDevice = { serial: device.serial, udid: device.udid, identity, topic: String(profile.mdm['Topic']) };
      await expectStatus(putSigned(f.base, '/mdm/checkin', authenticateMessage(d), identity), 200);
      await expectStatus(putSigned(b.base, '/mdm/checkin', tokenUpdateMessage(d, true), identity), 200);
      assert.equal((await deviceOf(f, d.serial)).enrollmentState, 'enrolled');

      const bases = [f.base, b.base];
      const seen: string[] = [];
      let report = idleReport(d.udid);
      for (let turn = 0; turn < 6; turn++) {
        const command = await commandIn(await putSigned(bases[turn % 2] as string, '/mdm/connect', report, identity));
        if (command === null) {
          report = idleReport(d.udid);
          continue;
        }
        seen.push(command.requestType);
        report =
          command.requestType === 'DeviceInformation'
            ? deviceInformationAnswer(d.udid, command.commandUuid, d.serial)
            : answerReport(d.udid, command.commandUuid, 'Acknowledged');
      }
      assert.deepEqual(seen, ['DeviceInformation', 'DeviceConfigured']);
      assert.deepEqual(
        (await commandsOf(f, d.serial)).map((c) => [c.requestType, c.status]),
        [
          ['DeviceConfigured', 'acknowledged'],
          ['DeviceInformation', 'acknowledged'],
        ],
      );
      const kinds = (await eventsOf(f, d.serial)).map((e) => e.kind);
      for (const kind of ['profile_served', 'identity_issued', 'authenticated', 'enrolled', 'released']) {
        assert.equal(kinds.filter((k) => k === kind).length, 1, `${kind} once in ${kinds.join(', ')}`);
      }
      const shown = await deviceOf(f, d.serial);
      assert.equal(shown['deviceName'], 'Reception iPhone');
      assert.ok(shown['setupReleasedAt']);
    });

    test('the same TokenUpdate reaching both at once enrolls once and queues the first commands once', async () => {
      const device = await factoryDevice(f, f.serials[1] as string);
      // This time the profile comes from B, signed by the same signer as A's.
      const url = new URL(device.enrollUrl);
      const profile = await servedProfile(
        await postMachineInfo(`${b.base}${url.pathname}`, await signAttached(machineInfo(device), device.factory)),
      );
      const fromA = await requestProfile(device);
      assert.ok(profile.signer.raw.equals(fromA.signer.raw));
      const identity = await scepIdentity(f.base, fromA.challenge, device.serial);
      const d: MdmDevice = { serial: device.serial, udid: device.udid, identity, topic: String(profile.mdm['Topic']) };
      await expectStatus(putSigned(b.base, '/mdm/checkin', authenticateMessage(d), identity), 200);
      const body = tokenUpdateMessage(d, true);
      const statuses = await Promise.all(
        [f.base, b.base, f.base, b.base].map(
          async (base) => (await putSigned(base, '/mdm/checkin', body, identity)).status,
        ),
      );
      assert.deepEqual(statuses, [200, 200, 200, 200]);
      assert.deepEqual((await commandsOf(f, d.serial)).map((c) => c.requestType).sort(), [
        'DeviceConfigured',
        'DeviceInformation',
      ]);
      assert.equal((await eventsOf(f, d.serial)).filter((e) => e.kind === 'enrolled').length, 1);
    });
  });
}
