// The check-ins and command reports the simulated device sends are what Orchard's own parsers
// read (src/mdm/checkin-messages.ts, command-messages.ts), and it answers the commands Orchard
// sends the way a device does: only the queries asked, DeviceConfigured acknowledged,
// anything it does not run refused with an ErrorChain.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CommandReadError,
  answerCommand,
  authenticateBody,
  idleBody,
  newPushCredentials,
  readCommand,
  tokenUpdateBody,
} from '../../src/device-simulator/device-messages.js';
import { simulatedDevice } from '../../src/device-simulator/device-model.js';
import { parseCheckin } from '../../src/mdm/checkin-messages.js';
import {
  DEVICE_INFORMATION_QUERIES,
  commandPlist,
  newCommandUuid,
  parseCommandReport,
} from '../../src/mdm/command-messages.js';
import { isDict, parsePlistDict } from '../../src/mdm/plist.js';

const TOPIC = 'com.apple.mgmt.External.orchard-sandbox';
const device = simulatedDevice('F2LXK0Q6NW', { model: 'iPhone 16 Pro', deviceFamily: 'iPhone', os: 'iOS' });
const awaiting = { supervised: true, awaitingConfiguration: true };
const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('check-in messages', () => {
  test('Authenticate carries the device’s UDID, topic, serial, model, name and OS as Orchard parses them', () => {
    const message = parseCheckin(bytes(authenticateBody(device, TOPIC)));
    assert.equal(message.type, 'Authenticate');
    if (message.type !== 'Authenticate') return;
    assert.equal(message.udid, device.udid);
    assert.equal(message.topic, TOPIC);
    assert.deepEqual(
      [message.serialNumber, message.model, message.modelName, message.deviceName, message.productName],
      ['F2LXK0Q6NW', device.model, 'iPhone', device.deviceName, 'iPhone17,1'],
    );
    assert.deepEqual(
      [message.osVersion, message.buildVersion, message.imei],
      [device.osVersion, device.buildVersion, device.imei],
    );
  });

  test('TokenUpdate carries a 32-byte push token, PushMagic, UnlockToken and AwaitingConfiguration when asked', () => {
    const push = newPushCredentials();
    const message = parseCheckin(bytes(tokenUpdateBody(device, TOPIC, push, true)));
    assert.equal(message.type, 'TokenUpdate');
    if (message.type !== 'TokenUpdate') return;
    assert.equal(message.token.length, 32);
    assert.ok(message.token.equals(push.token));
    assert.equal(message.pushMagic, push.pushMagic);
    assert.ok(message.unlockToken?.equals(push.unlockToken));
    assert.equal(message.awaitingConfiguration, true);
    const later = parseCheckin(bytes(tokenUpdateBody(device, TOPIC, push, false)));
    assert.equal(later.type === 'TokenUpdate' && later.awaitingConfiguration, false);
  });

  test('Idle is a report Orchard reads as Idle for this UDID', () => {
    assert.deepEqual(parseCommandReport(bytes(idleBody(device))), {
      status: 'Idle',
      udid: device.udid,
      userChannel: false,
    });
  });
});

describe('answers to commands', () => {
  const received = (requestType: string, parameters = {}) => {
    const uuid = newCommandUuid();
    return { uuid, command: readCommand(bytes(commandPlist(uuid, { requestType, parameters }))) };
  };

  test('DeviceInformation is acknowledged with exactly the queries asked that the device knows', () => {
    const { uuid, command } = received('DeviceInformation', {
      Queries: ['DeviceName', 'OSVersion', 'WiFiMAC', 'NoSuchQuery'],
    });
    const answer = answerCommand(device, command, awaiting);
    assert.equal(answer.status, 'Acknowledged');
    const report = parseCommandReport(bytes(answer.body));
    assert.ok(report.status === 'Acknowledged', report.status);
    assert.equal(report.commandUuid, uuid);
    assert.equal(report.udid, device.udid);
    const responses = report.body['QueryResponses'];
    assert.ok(isDict(responses));
    assert.deepEqual(responses, {
      DeviceName: device.deviceName,
      OSVersion: device.osVersion,
      WiFiMAC: device.wifiMac,
    });
  });

  test('Orchard’s first DeviceInformation gets the device’s identity, OS, hardware and supervision', () => {
    const { command } = received('DeviceInformation', { Queries: [...DEVICE_INFORMATION_QUERIES] });
    const responses = parsePlistDict(bytes(answerCommand(device, command, awaiting).body))['QueryResponses'];
    assert.ok(isDict(responses));
    for (const key of [
      'DeviceName',
      'OSVersion',
      'BuildVersion',
      'ModelName',
      'Model',
      'ProductName',
      'SerialNumber',
      'UDID',
      'IMEI',
      'WiFiMAC',
      'BluetoothMAC',
    ])
      assert.equal(typeof responses[key], 'string', key);
    assert.equal(responses['SerialNumber'], 'F2LXK0Q6NW');
    assert.equal(responses['IsSupervised'], true);
    assert.equal(typeof responses['DeviceCapacity'], 'number');
    assert.equal(typeof responses['AvailableDeviceCapacity'], 'number');
    assert.equal(responses['MEID'], undefined, 'a device without a CDMA modem answers no MEID');
  });

  test('DeviceConfigured is acknowledged and releases Setup Assistant', () => {
    const { command } = received('DeviceConfigured');
    const answer = answerCommand(device, command, awaiting);
    assert.deepEqual([answer.status, answer.releasesSetup], ['Acknowledged', true]);
    assert.equal(parseCommandReport(bytes(answer.body)).status, 'Acknowledged');
  });

  test('a command the device does not run is answered Error with an ErrorChain naming it', () => {
    const { uuid, command } = received('EraseDevice', { PIN: '123456' });
    const answer = answerCommand(device, command, awaiting);
    assert.equal(answer.status, 'Error');
    const report = parseCommandReport(bytes(answer.body));
    assert.ok(report.status === 'Error', report.status);
    assert.equal(report.commandUuid, uuid);
    assert.equal(report.errorChain.length, 1);
    assert.equal(report.errorChain[0]?.['ErrorDomain'], 'MCMDMErrorDomain');
    assert.match(String(report.errorChain[0]?.['USEnglishDescription']), /EraseDevice/);
  });

  test('DeviceInformation without Queries is a CommandFormatError', () => {
    const { command } = received('DeviceInformation');
    const answer = answerCommand(device, command, awaiting);
    assert.equal(parseCommandReport(bytes(answer.body)).status, 'CommandFormatError');
  });

  test('a server answer that is not a command is refused as COMMAND_UNREADABLE', () => {
    for (const body of ['not xml', '<plist><dict><key>CommandUUID</key><string>X</string></dict></plist>']) {
      assert.throws(
        () => readCommand(bytes(body)),
        (e: unknown) => e instanceof CommandReadError && e.code === 'COMMAND_UNREADABLE',
      );
    }
  });
});
