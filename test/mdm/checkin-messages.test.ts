// Check-in messages as devices send them (Apple's mdm/checkin schemas; nanomdm's set), written
// by the `plist` package: each type is read with its fields, the required ones are demanded,
// and what Orchard does not serve is told apart from what it does not know.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build } from 'plist';
import { parseCheckin } from '../../src/mdm/checkin-messages.js';
import { MdmProtocolError } from '../../src/mdm/errors.js';
import { PlistError } from '../../src/mdm/plist.js';

const UDID = '00008110-000A1C2E3C45801E';
const TOPIC = 'com.apple.mgmt.External.2a9c5a3e-0000-4000-8000-000000000000';
const read = (value: Record<string, unknown>) => parseCheckin(Buffer.from(build(value as never)));
const refusedWith = (code: string, value: Record<string, unknown>) =>
  assert.throws(
    () => read(value),
    (e: unknown) => e instanceof MdmProtocolError && e.code === code,
  );

describe('check-in messages', () => {
  test('Authenticate carries the device’s facts', () => {
    assert.deepEqual(
      read({
        MessageType: 'Authenticate',
        UDID,
        Topic: TOPIC,
        SerialNumber: 'F2LXK0Q6NW',
        Model: 'iPhone15,2',
        ModelName: 'iPhone',
        DeviceName: 'Reception',
        OSVersion: '18.1',
        BuildVersion: '22B83',
        ProductName: 'iPhone15,2',
        IMEI: '35 123456 789012 3',
      }),
      {
        type: 'Authenticate',
        udid: UDID,
        topic: TOPIC,
        serialNumber: 'F2LXK0Q6NW',
        model: 'iPhone15,2',
        modelName: 'iPhone',
        deviceName: 'Reception',
        osVersion: '18.1',
        buildVersion: '22B83',
        productName: 'iPhone15,2',
        imei: '35 123456 789012 3',
        meid: null,
      },
    );
  });

  test('TokenUpdate carries the push token, push magic, unlock token and AwaitingConfiguration', () => {
    const token = Buffer.alloc(32, 9);
    const unlock = Buffer.alloc(100, 4);
    const message = read({
      MessageType: 'TokenUpdate',
      UDID,
      Topic: TOPIC,
      Token: token,
      PushMagic: 'F3A1-PUSH',
      UnlockToken: unlock,
      AwaitingConfiguration: true,
    });
    assert.equal(message.type, 'TokenUpdate');
    assert.ok(message.type === 'TokenUpdate' && message.token.equals(token) && message.unlockToken?.equals(unlock));
    assert.ok(message.type === 'TokenUpdate' && message.awaitingConfiguration && message.pushMagic === 'F3A1-PUSH');
    const plain = read({ MessageType: 'TokenUpdate', UDID, Topic: TOPIC, Token: token, PushMagic: 'M' });
    assert.ok(plain.type === 'TokenUpdate' && plain.unlockToken === null && !plain.awaitingConfiguration);
  });

  test('TokenUpdate without a Token, with an empty one or a Token as text, or without PushMagic is CHECKIN_MALFORMED', () => {
    const base = { MessageType: 'TokenUpdate', UDID, Topic: TOPIC, Token: Buffer.alloc(32, 1), PushMagic: 'M' };
    refusedWith('CHECKIN_MALFORMED', { ...base, Token: undefined });
    refusedWith('CHECKIN_MALFORMED', { ...base, Token: Buffer.alloc(0) });
    refusedWith('CHECKIN_MALFORMED', { ...base, Token: 'AAAA' });
    refusedWith('CHECKIN_MALFORMED', { ...base, PushMagic: undefined });
    refusedWith('CHECKIN_MALFORMED', { ...base, Topic: 7 });
  });

  test('CheckOut, SetBootstrapToken, GetBootstrapToken and UserAuthenticate are read', () => {
    assert.deepEqual(read({ MessageType: 'CheckOut', UDID, Topic: TOPIC }), {
      type: 'CheckOut',
      udid: UDID,
      topic: TOPIC,
    });
    const bootstrap = Buffer.from('escrowed secret');
    const set = read({
      MessageType: 'SetBootstrapToken',
      UDID,
      BootstrapToken: bootstrap,
      AwaitingConfiguration: false,
    });
    assert.ok(set.type === 'SetBootstrapToken' && set.bootstrapToken?.equals(bootstrap));
    // No BootstrapToken: the Mac asks the server to forget the one it holds.
    assert.deepEqual(read({ MessageType: 'SetBootstrapToken', UDID }), {
      type: 'SetBootstrapToken',
      udid: UDID,
      bootstrapToken: null,
    });
    assert.deepEqual(read({ MessageType: 'GetBootstrapToken', UDID }), { type: 'GetBootstrapToken', udid: UDID });
    assert.deepEqual(read({ MessageType: 'UserAuthenticate', UDID, UserID: 'A1' }), {
      type: 'UserAuthenticate',
      udid: UDID,
    });
  });

  test('a message on a user channel is recognised as such, whatever its type', () => {
    assert.deepEqual(read({ MessageType: 'TokenUpdate', UDID, UserID: 'F0E1-USER', Topic: TOPIC }), {
      type: 'UserChannel',
      messageType: 'TokenUpdate',
      udid: UDID,
    });
  });

  test('types Apple defines but Orchard does not serve are Unsupported; anything else is CHECKIN_UNKNOWN_MESSAGE', () => {
    for (const type of ['DeclarativeManagement', 'GetToken', 'ReturnToService']) {
      assert.deepEqual(read({ MessageType: type, UDID }), { type: 'Unsupported', messageType: type, udid: UDID });
    }
    refusedWith('CHECKIN_UNKNOWN_MESSAGE', { MessageType: 'MakeCoffee', UDID });
    refusedWith('CHECKIN_UNKNOWN_MESSAGE', { MessageType: 'authenticate', UDID, Topic: TOPIC });
  });

  test('a message without MessageType or UDID, or with them of another type, is CHECKIN_MALFORMED', () => {
    refusedWith('CHECKIN_MALFORMED', { UDID, Topic: TOPIC });
    refusedWith('CHECKIN_MALFORMED', { MessageType: 'Authenticate', Topic: TOPIC });
    refusedWith('CHECKIN_MALFORMED', { MessageType: ['Authenticate'], UDID, Topic: TOPIC });
    refusedWith('CHECKIN_MALFORMED', { MessageType: 'Authenticate', UDID: 42, Topic: TOPIC });
    refusedWith('CHECKIN_MALFORMED', { MessageType: 'Authenticate', UDID: 'A'.repeat(1025), Topic: TOPIC });
    assert.throws(() => parseCheckin(Buffer.from('MessageType=Authenticate')), PlistError);
  });
});
