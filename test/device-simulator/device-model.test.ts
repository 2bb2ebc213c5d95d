// The simulated device reports what a real device of its model would: Apple's identifiers and
// product lines, an OS build that belongs to its version, a valid IMEI on phones, and the same
// facts every time for the same serial.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { luhnDigit, simulatedDevice } from '../../src/device-simulator/device-model.js';

const IOS_BUILDS: Record<string, string> = { '18.1': '22B83', '18.2': '22C152', '18.3.1': '22D72', '18.4': '22E240' };
const MACOS_BUILDS: Record<string, string> = { '15.1': '24B83', '15.2': '24C101', '15.3.1': '24D70', '15.4': '24E248' };

describe('simulated devices', () => {
  test('the same serial always makes the same device', () => {
    const record = { model: 'iPhone 16 Pro', deviceFamily: 'iPhone', os: 'iOS' };
    assert.deepEqual(simulatedDevice('F2LXK0Q6NW', record), simulatedDevice('f2lxk0q6nw', record));
    assert.notEqual(simulatedDevice('F2LXK0Q6NW', record).udid, simulatedDevice('F2LXK0Q6NX', record).udid);
  });

  test('an iPhone reports its hardware identifier, ModelName iPhone, an iOS 18 build that matches, and a valid IMEI', () => {
    for (let i = 0; i < 40; i += 1) {
      const d = simulatedDevice(`C39XK${String(i).padStart(3, '0')}N72J`, {
        model: 'iPhone 14',
        deviceFamily: 'iPhone',
        os: 'iOS',
      });
      assert.equal(d.productName, 'iPhone14,7');
      assert.equal(d.modelName, 'iPhone');
      assert.equal(d.family, 'iPhone');
      assert.equal(IOS_BUILDS[d.osVersion], d.buildVersion, `${d.osVersion} is build ${d.buildVersion}`);
      assert.match(d.model, /^M[A-Z0-9]{4}LL\/A$/);
      assert.ok(d.imei !== null && /^\d{15}$/.test(d.imei), String(d.imei));
      assert.equal(luhnDigit(d.imei.slice(0, 14)), d.imei.slice(14), 'the IMEI check digit is Luhn’s');
      assert.match(d.udid, /^[0-9A-F]{8}-[0-9A-F]{16}$/);
      assert.match(d.wifiMac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.match(d.bluetoothMac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.match(d.deviceName, /^(\S+’s iPhone|IPHONE-[0-9A-Z]{5})$/);
      assert.ok(d.availableDeviceCapacity < d.deviceCapacity && d.availableDeviceCapacity > 0);
    }
  });

  test('names mix people’s names and an MSP scheme across a fleet', () => {
    const names = Array.from(
      { length: 40 },
      (_, i) => simulatedDevice(`C39XK${String(i).padStart(3, '0')}N72J`, { model: 'iPhone 14' }).deviceName,
    );
    assert.ok(names.some((n) => /’s iPhone$/.test(n)));
    assert.ok(names.some((n) => /^IPHONE-/.test(n)));
  });

  test('an iPad reports iPadNN,N and ModelName iPad, with no IMEI on a Wi-Fi model', () => {
    const d = simulatedDevice('DMPXK0MD6P', { model: 'iPad (10th generation)', deviceFamily: 'iPad', os: 'iPadOS' });
    assert.deepEqual([d.productName, d.modelName, d.imei], ['iPad13,18', 'iPad', null]);
    assert.equal(IOS_BUILDS[d.osVersion], d.buildVersion);
  });

  test('a Mac reports its identifier as Model and ProductName, its line as ModelName, and a macOS 15 build', () => {
    const d = simulatedDevice('C02XK0PW4R', {
      model: 'MacBook Pro (14-inch, M3 Pro)',
      deviceFamily: 'Mac',
      os: 'OSX',
      description: 'MACBOOK PRO (14-INCH, M3 PRO) SPACE BLACK 1TB-USA',
    });
    assert.deepEqual([d.productName, d.model, d.modelName], ['Mac15,6', 'Mac15,6', 'MacBook Pro']);
    assert.equal(MACOS_BUILDS[d.osVersion], d.buildVersion);
    assert.equal(d.imei, null);
    assert.match(d.deviceName, /^(\S+’s MacBook Pro|MACBOOKPRO-[0-9A-Z]{5})$/);
    // 1 TB from Apple's order description, formatted as the OS shows it (GiB, less the system).
    assert.ok(d.deviceCapacity > 900 && d.deviceCapacity < 1000, String(d.deviceCapacity));
  });

  test('a model Apple names but the table does not know falls back to a typical model of its family', () => {
    assert.equal(simulatedDevice('C02XK0AAAA', { model: 'MacBook Neo', deviceFamily: 'Mac' }).productName, 'Mac14,2');
    assert.equal(simulatedDevice('C02XK0AAAA', { model: 'iPad Ultra', os: 'iPadOS' }).productName, 'iPad13,18');
    assert.equal(simulatedDevice('C02XK0AAAA', { model: 'iPhone 99' }).modelName, 'iPhone');
    assert.equal(simulatedDevice('C02XK0AAAA').family, 'iPhone');
  });

  test('the UDID Apple’s records hold is the one the device reports', () => {
    const udid = '00008120-001A2D3E0C23401E';
    assert.equal(simulatedDevice('F2LXK0Q6NW', { model: 'iPhone 16 Pro', udid }).udid, udid);
  });
});
