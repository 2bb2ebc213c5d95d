// Each device's command queue behaves as Apple documents the command endpoint: NotNow puts a
// command off until the device's next Idle, Error keeps the device's ErrorChain, a command
// handed out but never answered goes again, a late duplicate answer changes nothing, and the
// first TokenUpdate queues exactly the first-boot commands.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { engines } from '../helpers/services.js';
import {
  answerReport,
  commandIn,
  commandsOf,
  deviceInformationAnswer,
  deviceOf,
  enrollDevice,
  expectStatus,
  idleReport,
  putSigned,
  tokenUpdateMessage,
  type MdmDevice,
} from './support.js';

for (const { engine, skip } of await engines()) {
  describe(`the command queue follows Apple's rules (${engine})`, { skip }, () => {
    let f: EnrollmentFixture;
    let devices: MdmDevice[];

    before(async () => {
      f = await enrollmentFixture(engine, { devices: 4 });
      devices = await Promise.all(
        f.serials.map((serial, i) => enrollDevice(f, serial, { awaitingConfiguration: i === 0 })),
      );
    });
    after(() => f.close());

    const poll = (d: MdmDevice, body: string) => putSigned(f.base, '/mdm/connect', body, d.identity).then(commandIn);
    const statusOf = async (d: MdmDevice, commandUuid: string) =>
      (await commandsOf(f, d.serial)).find((c) => c.commandUuid === commandUuid)?.status;

    test('NotNow keeps the command, and it is handed back only on the device’s next Idle', async () => {
      const d = devices[0] as MdmDevice;
      const information = await poll(d, idleReport(d.udid));
      assert.equal(information?.requestType, 'DeviceInformation');
      const uuid = information.commandUuid;

      // Put off: the next queued command may go, but not the one put off.
      const next = await poll(d, answerReport(d.udid, uuid, 'NotNow'));
      assert.equal(next?.requestType, 'DeviceConfigured');
      assert.equal(await statusOf(d, uuid), 'not_now');
      const afterOther = await poll(d, answerReport(d.udid, next.commandUuid, 'Acknowledged'));
      assert.equal(afterOther, null, 'not handed back before the device says Idle');

      const again = await poll(d, idleReport(d.udid));
      assert.deepEqual(again, { commandUuid: uuid, requestType: 'DeviceInformation' });
      assert.equal(await poll(d, deviceInformationAnswer(d.udid, uuid, d.serial)), null);
      assert.deepEqual(
        (await commandsOf(f, d.serial)).map((c) => [c.requestType, c.status]),
        [
          ['DeviceConfigured', 'acknowledged'],
          ['DeviceInformation', 'acknowledged'],
        ],
      );
    });

    test('an Error answer keeps the ErrorChain, readable in the commands API with code, domain and description', async () => {
      const d = devices[1] as MdmDevice;
      const command = await poll(d, idleReport(d.udid));
      assert.ok(command);
      const answer = answerReport(d.udid, command.commandUuid, 'Error', {
        ErrorChain: [
          {
            ErrorCode: 12021,
            ErrorDomain: 'MCMDMErrorDomain',
            LocalizedDescription: 'The query is not supported on this device.',
            USEnglishDescription: 'The query is not supported on this device.',
          },
          { ErrorCode: 4, ErrorDomain: 'MCInstallationErrorDomain', USEnglishDescription: 'Underlying cause' },
        ],
      });
      assert.equal(await poll(d, answer), null);
      const stored = (await commandsOf(f, d.serial)).find((c) => c.commandUuid === command.commandUuid);
      assert.equal(stored?.status, 'error');
      assert.deepEqual(stored?.errorChain, [
        { code: 12021, domain: 'MCMDMErrorDomain', description: 'The query is not supported on this device.' },
        { code: 4, domain: 'MCInstallationErrorDomain', description: 'Underlying cause' },
      ]);
    });

    test('a command handed out but never answered is handed out again on the next Idle', async () => {
      const d = devices[2] as MdmDevice;
      const first = await poll(d, idleReport(d.udid));
      assert.equal(first?.requestType, 'DeviceInformation');
      // The answer never arrived (the connection dropped); the device polls again.
      const second = await poll(d, idleReport(d.udid));
      assert.deepEqual(second, first);
      assert.equal(await statusOf(d, first.commandUuid), 'sent');
      assert.equal(await poll(d, deviceInformationAnswer(d.udid, first.commandUuid, d.serial)), null);
      assert.equal(await statusOf(d, first.commandUuid), 'acknowledged');
    });

    test('a late duplicate answer to a finished command changes nothing', async () => {
      const d = devices[2] as MdmDevice;
      const [done] = await commandsOf(f, d.serial);
      assert.equal(done?.status, 'acknowledged');
      const facts = await deviceOf(f, d.serial);
      assert.equal(facts['deviceName'], 'Reception iPhone');

      const changed = answerReport(d.udid, done.commandUuid, 'Acknowledged', {
        QueryResponses: { DeviceName: 'Someone else', OSVersion: '9.9' },
      });
      assert.equal(await poll(d, changed), null);
      assert.equal(
        await poll(d, answerReport(d.udid, done.commandUuid, 'Error', { ErrorChain: [{ ErrorCode: 1 }] })),
        null,
      );
      assert.equal(await poll(d, answerReport(d.udid, done.commandUuid, 'NotNow')), null);
      // An answer to a command the device was never given is ignored as well.
      assert.equal(await poll(d, answerReport(d.udid, 'NOT-A-COMMAND-OF-MINE', 'Acknowledged')), null);

      const [still] = await commandsOf(f, d.serial);
      assert.deepEqual(still, done);
      const after = await deviceOf(f, d.serial);
      assert.equal(after['deviceName'], 'Reception iPhone');
      assert.equal(after['osVersion'], '18.1');
    });

    test('a TokenUpdate without AwaitingConfiguration queues DeviceInformation only, and a repeated one queues nothing', async () => {
      const d = devices[3] as MdmDevice;
      assert.deepEqual(
        (await commandsOf(f, d.serial)).map((c) => [c.requestType, c.status]),
        [['DeviceInformation', 'queued']],
      );
      // The push token rotates: a new TokenUpdate, sent twice at once, is stored and queues nothing.
      await Promise.all(
        [0, 1].map(() => expectStatus(putSigned(f.base, '/mdm/checkin', tokenUpdateMessage(d, true), d.identity), 200)),
      );
      assert.equal((await commandsOf(f, d.serial)).length, 1);
    });
  });
}
