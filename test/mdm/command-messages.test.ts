// The command endpoint's messages: reports as devices write them (the `plist` package) are
// read with their status, command and ErrorChain; commands as Orchard writes them are read
// back by the `plist` package in the shape a device expects.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build, parse } from 'plist';
import {
  DEVICE_INFORMATION_QUERIES,
  commandPlist,
  newCommandUuid,
  parseCommandReport,
} from '../../src/mdm/command-messages.js';
import { MdmProtocolError } from '../../src/mdm/errors.js';

const UDID = '00008110-000A1C2E3C45801E';
const read = (value: Record<string, unknown>) => parseCommandReport(Buffer.from(build(value as never)));
const malformed = (value: Record<string, unknown>) =>
  assert.throws(
    () => read(value),
    (e: unknown) => e instanceof MdmProtocolError && e.code === 'COMMAND_REPORT_MALFORMED',
  );

describe('command reports', () => {
  test('Idle is just the device asking for work', () => {
    assert.deepEqual(read({ Status: 'Idle', UDID }), { status: 'Idle', udid: UDID, userChannel: false });
    assert.deepEqual(read({ Status: 'Idle', UDID, UserID: 'U1' }), { status: 'Idle', udid: UDID, userChannel: true });
  });

  test('Acknowledged keeps the whole answer, QueryResponses included', () => {
    const report = read({
      Status: 'Acknowledged',
      UDID,
      CommandUUID: 'C1',
      QueryResponses: { DeviceName: 'Reception' },
    });
    if (report.status !== 'Acknowledged') assert.fail(`read as ${report.status}`);
    assert.equal(report.commandUuid, 'C1');
    assert.deepEqual(report.body['QueryResponses'], { DeviceName: 'Reception' });
    assert.deepEqual(report.errorChain, []);
  });

  test('Error keeps its ErrorChain entries, and drops entries that are not dictionaries', () => {
    const chain = [
      { ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'Unsupported' },
      'not an entry',
      { ErrorCode: 4, ErrorDomain: 'MCInstallationErrorDomain' },
    ];
    const report = read({ Status: 'Error', UDID, CommandUUID: 'C2', ErrorChain: chain });
    assert.ok(report.status === 'Error');
    assert.deepEqual(report.errorChain, [chain[0], chain[2]]);
    const notAList = read({ Status: 'Error', UDID, CommandUUID: 'C2', ErrorChain: 'oops' });
    assert.ok(notAList.status === 'Error' && notAList.errorChain.length === 0);
  });

  test('NotNow and CommandFormatError are read as such', () => {
    for (const status of ['NotNow', 'CommandFormatError']) {
      assert.equal(read({ Status: status, UDID, CommandUUID: 'C3' }).status, status);
    }
  });

  test('an unknown Status, or an answer without CommandUUID or UDID, is COMMAND_REPORT_MALFORMED', () => {
    malformed({ Status: 'Done', UDID, CommandUUID: 'C4' });
    malformed({ Status: 'idle', UDID });
    malformed({ Status: 'Acknowledged', UDID });
    malformed({ Status: 'Acknowledged', UDID, CommandUUID: 5 });
    malformed({ Status: 'Idle' });
    malformed({ UDID });
  });
});

describe('commands', () => {
  test('a command is {CommandUUID, Command: {RequestType, …}} as a device reads it', () => {
    const uuid = newCommandUuid();
    const xml = commandPlist(uuid, {
      requestType: 'DeviceInformation',
      parameters: { Queries: [...DEVICE_INFORMATION_QUERIES] },
    });
    assert.deepEqual(parse(xml), {
      CommandUUID: uuid,
      Command: { RequestType: 'DeviceInformation', Queries: [...DEVICE_INFORMATION_QUERIES] },
    });
    assert.deepEqual(parse(commandPlist(uuid, { requestType: 'DeviceConfigured' })), {
      CommandUUID: uuid,
      Command: { RequestType: 'DeviceConfigured' },
    });
  });

  test('command UUIDs are fresh upper-case UUIDs', () => {
    const uuids = new Set(Array.from({ length: 100 }, newCommandUuid));
    assert.equal(uuids.size, 100);
    for (const uuid of uuids)
      assert.match(uuid, /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  });

  test('DeviceInformation asks what the devices view shows', () => {
    for (const query of [
      'DeviceName',
      'OSVersion',
      'BuildVersion',
      'ModelName',
      'Model',
      'ProductName',
      'SerialNumber',
      'IMEI',
      'WiFiMAC',
    ]) {
      assert.ok((DEVICE_INFORMATION_QUERIES as readonly string[]).includes(query), query);
    }
  });
});
