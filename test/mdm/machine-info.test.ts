// MachineInfo as devices send it (apple/device-management other/machineinfo.yaml), written
// by the `plist` package: the required keys are demanded, the optional ones read, and the
// platform and version rules behind "update before enrolling" hold for Apple's identifiers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build } from 'plist';
import { MdmProtocolError } from '../../src/mdm/errors.js';
import { compareVersions, parseMachineInfo, platformOf } from '../../src/mdm/machine-info.js';
import { PlistError } from '../../src/mdm/plist.js';

const IPHONE = {
  UDID: '00008110-000A1C2E3C45801E',
  SERIAL: 'F2LXK0Q6NW',
  PRODUCT: 'iPhone15,2',
  VERSION: '22B83',
  OS_VERSION: '18.1',
  IMEI: '35 123456 789012 3',
  MEID: '35123456789012',
  LANGUAGE: 'en-GB',
  SUPPLEMENTAL_BUILD_VERSION: '22B83',
  MDM_CAN_REQUEST_SOFTWARE_UPDATE: true,
  SOFTWARE_UPDATE_DEVICE_ID: 'D74AP',
};
const read = (value: Record<string, unknown>) => parseMachineInfo(Buffer.from(build(value as never)));

describe('MachineInfo', () => {
  test('an iPhone’s MachineInfo is read field by field', () => {
    assert.deepEqual(read(IPHONE), {
      udid: IPHONE.UDID,
      serial: IPHONE.SERIAL,
      product: 'iPhone15,2',
      version: '22B83',
      osVersion: '18.1',
      imei: IPHONE.IMEI,
      meid: IPHONE.MEID,
      language: 'en-GB',
      supplementalBuildVersion: '22B83',
      canRequestSoftwareUpdate: true,
      softwareUpdateDeviceId: 'D74AP',
    });
  });

  test('a device before iOS 17 sends only the required keys, and the rest reads as absent', () => {
    const info = read({ UDID: IPHONE.UDID, SERIAL: IPHONE.SERIAL, PRODUCT: 'iPad8,1', VERSION: '19H12' });
    assert.equal(info.osVersion, null);
    assert.equal(info.imei, null);
    assert.equal(info.canRequestSoftwareUpdate, false);
  });

  for (const key of ['UDID', 'SERIAL', 'PRODUCT', 'VERSION'] as const) {
    test(`${key} missing, empty, of another type or over 1024 characters is MACHINE_INFO_INCOMPLETE`, () => {
      for (const value of [undefined, '', 42, ['x'], Buffer.from('x'), 'A'.repeat(1025)]) {
        const info: Record<string, unknown> = { ...IPHONE, [key]: value };
        if (value === undefined) delete info[key];
        assert.throws(
          () => read(info),
          (e: unknown) =>
            e instanceof MdmProtocolError && e.code === 'MACHINE_INFO_INCOMPLETE' && e.message.includes(key),
        );
      }
    });
  }

  test('only a real true asks for a software update; "true" as a string does not', () => {
    assert.equal(read({ ...IPHONE, MDM_CAN_REQUEST_SOFTWARE_UPDATE: 'true' }).canRequestSoftwareUpdate, false);
    assert.equal(read({ ...IPHONE, MDM_CAN_REQUEST_SOFTWARE_UPDATE: 1 }).canRequestSoftwareUpdate, false);
  });

  test('a plist that is not a dictionary, or not a plist, is a PlistError', () => {
    assert.throws(() => parseMachineInfo(Buffer.from(build(['UDID'] as never))), PlistError);
    assert.throws(() => parseMachineInfo(Buffer.from('UDID=1')), PlistError);
  });

  test('Macs, Mac virtual machines and the rest are told apart by PRODUCT', () => {
    for (const product of [
      'Mac14,3',
      'MacBookPro18,1',
      'MacBookAir10,1',
      'iMac21,1',
      'Macmini9,1',
      'MacPro7,1',
      'VirtualMac2,1',
    ]) {
      assert.equal(platformOf(product), 'macOS', product);
    }
    for (const product of ['iPhone15,2', 'iPad13,4', 'iPod9,1']) assert.equal(platformOf(product), 'iOS', product);
  });

  test('versions compare numerically, part by part', () => {
    assert.equal(compareVersions('17.10', '17.9'), 1);
    assert.equal(compareVersions('18.1', '18.2'), -1);
    assert.equal(compareVersions('18', '18.0'), 0);
    assert.equal(compareVersions('18.0.1', '18'), 1);
    assert.equal(compareVersions('26.0', '18.7.2'), 1);
  });
});
