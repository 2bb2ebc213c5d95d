// The MachineInfo the simulator POSTs is what Orchard's parser and OpenSSL both read: a plist
// with the device's facts, in a CMS SignedData that OpenSSL verifies against the device CA.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simulatedDevice } from '../../src/device-simulator/device-model.js';
import { machineInfoPlist, signedMachineInfo } from '../../src/device-simulator/machine-info.js';
import { parseMachineInfo } from '../../src/mdm/machine-info.js';
import { opensslCa, opensslLeaf, workdir, type PemIdentity, type Workdir } from './support.js';

const iphone = simulatedDevice('F2LXK0Q6NW', { model: 'iPhone 16 Pro', deviceFamily: 'iPhone', os: 'iOS' });
const mac = simulatedDevice('C02XK0PW4R', { model: 'MacBook Pro (14-inch, M3 Pro)', deviceFamily: 'Mac' });

describe('MachineInfo', () => {
  let dir: Workdir;
  let ca: PemIdentity;
  let factory: PemIdentity;
  before(async () => {
    dir = await workdir();
    ca = await opensslCa(dir, 'device-ca');
    factory = await opensslLeaf(dir, 'factory', 'device-ca', 'ec');
  });
  after(() => dir.remove());

  test('carries UDID, SERIAL, PRODUCT, VERSION (the build), OS_VERSION and LANGUAGE as Orchard parses them', () => {
    const info = parseMachineInfo(Buffer.from(machineInfoPlist(iphone, { canRequestSoftwareUpdate: true })));
    assert.equal(info.udid, iphone.udid);
    assert.equal(info.serial, 'F2LXK0Q6NW');
    assert.equal(info.product, 'iPhone17,1');
    assert.equal(info.version, iphone.buildVersion);
    assert.equal(info.osVersion, iphone.osVersion);
    assert.equal(info.language, 'en');
    assert.equal(info.imei, iphone.imei);
    assert.equal(info.canRequestSoftwareUpdate, true);
  });

  test('says MDM_CAN_REQUEST_SOFTWARE_UPDATE only when asked to, and IMEI only on a phone', () => {
    const text = machineInfoPlist(mac);
    assert.doesNotMatch(text, /MDM_CAN_REQUEST_SOFTWARE_UPDATE/);
    assert.doesNotMatch(text, /IMEI/);
    assert.equal(parseMachineInfo(Buffer.from(text)).product, 'Mac15,6');
  });

  test('signed with the factory identity, it verifies with OpenSSL against the device CA and carries the CA along', async () => {
    const der = await signedMachineInfo({
      device: iphone,
      factoryIdentity: factory,
      chainPem: [ca.certificatePem],
      now: new Date(),
      options: { canRequestSoftwareUpdate: true },
    });
    await dir.write('machine-info.der', der);
    const content = await dir.openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      'machine-info.der',
      '-CAfile',
      'device-ca.pem',
      '-purpose',
      'any',
    ]);
    assert.equal(parseMachineInfo(content).serial, 'F2LXK0Q6NW');
    const certificates = (
      await dir.openssl(['pkcs7', '-inform', 'DER', '-in', 'machine-info.der', '-print_certs'])
    ).toString();
    assert.match(certificates, /subject=CN\s*=\s*factory/);
    assert.match(certificates, /subject=CN\s*=\s*device-ca/);
  });
});
