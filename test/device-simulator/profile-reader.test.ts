// What the simulated device checks in the served profile before it trusts it: a valid CMS
// signature over the profile, one SCEP payload asking for an RSA 2048 key, and a com.apple.mdm
// payload whose identity is that SCEP payload. Profiles are built with Orchard's builder and
// signed both with Orchard's signer and, independently, with `openssl cms -sign`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ProfileError, readEnrollmentProfile } from '../../src/device-simulator/profile-reader.js';
import { buildEnrollmentProfile } from '../../src/mdm/enrollment-profile.js';
import { signData } from '../../src/mdm/pki/cms-sign.js';
import { opensslCa, opensslLeaf, workdir, type PemIdentity, type Workdir } from './support.js';

const SCEP_UUID = '11111111-2222-3333-4444-555555555555';
let uuids = 0;

function profileXml(): string {
  uuids = 0;
  return buildEnrollmentProfile({
    identifierBase: 'com.example.orchard',
    displayName: 'Acme Corp device management',
    organization: 'Acme Corp',
    description: 'Enrolls this device in Orchard',
    scep: {
      url: 'https://mdm.example.com/mdm/scep',
      challenge: 'challenge-0123456789',
      subject: [
        ['CN', 'Orchard device F2LXK0Q6NW'],
        ['O', 'Acme Corp'],
      ],
      caName: 'Orchard device CA',
    },
    mdm: {
      serverUrl: 'https://mdm.example.com/mdm/connect',
      checkInUrl: 'https://mdm.example.com/mdm/checkin',
      topic: 'com.apple.mgmt.External.0f2a6d7e-0000-4000-8000-000000000001',
    },
    uuid: () => (uuids++ === 0 ? SCEP_UUID : `AAAAAAAA-0000-0000-0000-00000000000${uuids}`),
  });
}

describe('the served profile, as the device reads it', () => {
  let dir: Workdir;
  let signer: PemIdentity;
  const sign = (xml: string) => signData({ content: Buffer.from(xml), signer, detached: false, now: new Date() });

  before(async () => {
    dir = await workdir();
    await opensslCa(dir, 'orchard-ca');
    signer = await opensslLeaf(dir, 'profile-signer', 'orchard-ca', 'rsa');
  });
  after(() => dir.remove());

  test('a profile Orchard signs yields its SCEP URL, challenge, subject and the MDM URLs and topic', async () => {
    const profile = await readEnrollmentProfile(await sign(profileXml()));
    assert.match(profile.signer.subject, /CN=profile-signer/);
    assert.equal(profile.displayName, 'Acme Corp device management');
    assert.deepEqual(profile.scep, {
      payloadUuid: SCEP_UUID,
      url: 'https://mdm.example.com/mdm/scep',
      challenge: 'challenge-0123456789',
      subject: [
        ['CN', 'Orchard device F2LXK0Q6NW'],
        ['O', 'Acme Corp'],
      ],
      keysize: 2048,
      keyUsage: 5,
      name: 'Orchard device CA',
    });
    assert.equal(profile.mdm.serverUrl, 'https://mdm.example.com/mdm/connect');
    assert.equal(profile.mdm.checkInUrl, 'https://mdm.example.com/mdm/checkin');
    assert.equal(profile.mdm.identityCertificateUuid, SCEP_UUID);
    assert.equal(profile.mdm.signMessage, true);
    assert.equal(profile.mdm.checkOutWhenRemoved, true);
    assert.equal(profile.mdm.accessRights, 8191);
    assert.ok(profile.mdm.serverCapabilities.includes('com.apple.mdm.bootstraptoken'));
  });

  test('a profile signed by openssl cms -sign reads the same', async () => {
    await dir.write('profile.xml', profileXml());
    await dir.openssl([
      'cms',
      '-sign',
      '-nodetach',
      '-binary',
      '-in',
      'profile.xml',
      '-signer',
      'profile-signer.pem',
      '-inkey',
      'profile-signer.key',
      '-outform',
      'DER',
      '-out',
      'profile.der',
    ]);
    const profile = await readEnrollmentProfile(await dir.read('profile.der'));
    assert.equal(profile.scep.challenge, 'challenge-0123456789');
    assert.equal(profile.mdm.topic, 'com.apple.mgmt.External.0f2a6d7e-0000-4000-8000-000000000001');
  });

  const refused = async (body: Uint8Array, code: string, message?: RegExp) => {
    await assert.rejects(readEnrollmentProfile(body), (error: unknown) => {
      assert.ok(error instanceof ProfileError, String(error));
      assert.equal(error.code, code, error.message);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    });
  };

  test('a profile whose content was changed after signing is refused as PROFILE_SIGNATURE_INVALID', async () => {
    const der = await sign(profileXml());
    const at = der.indexOf(Buffer.from('challenge-0123456789'));
    assert.ok(at > 0);
    const tampered = Buffer.from(der);
    tampered[at] = 'C'.charCodeAt(0);
    await refused(tampered, 'PROFILE_SIGNATURE_INVALID');
  });

  test('an unsigned profile (the bare plist) is refused as PROFILE_SIGNATURE_INVALID', async () => {
    await refused(Buffer.from(profileXml()), 'PROFILE_SIGNATURE_INVALID');
  });

  test('a signed document that is not a configuration profile is refused as PROFILE_MALFORMED', async () => {
    await refused(await sign('not a plist'), 'PROFILE_MALFORMED');
    await refused(
      await sign(profileXml().replace('<string>Configuration</string>', '<string>Other</string>')),
      'PROFILE_MALFORMED',
    );
  });

  test('a profile without its SCEP payload is refused as PROFILE_PAYLOAD_MISSING', async () => {
    await refused(
      await sign(profileXml().replace('com.apple.security.scep', 'com.apple.security.pkcs12')),
      'PROFILE_PAYLOAD_MISSING',
      /com\.apple\.security\.scep/,
    );
  });

  test('an MDM payload whose IdentityCertificateUUID names no SCEP payload is refused', async () => {
    const xml = profileXml();
    const last = xml.lastIndexOf(SCEP_UUID);
    const changed = `${xml.slice(0, last)}99999999-2222-3333-4444-555555555555${xml.slice(last + SCEP_UUID.length)}`;
    await refused(await sign(changed), 'PROFILE_PAYLOAD_INVALID', /IdentityCertificateUUID/);
  });

  test('a SCEP payload asking for a 1024-bit key is refused', async () => {
    await refused(
      await sign(profileXml().replace('<integer>2048</integer>', '<integer>1024</integer>')),
      'PROFILE_PAYLOAD_INVALID',
      /Keysize/,
    );
  });

  test('a topic that is not an APNs MDM topic is refused', async () => {
    await refused(
      await sign(profileXml().replace('com.apple.mgmt.External.', 'com.example.')),
      'PROFILE_PAYLOAD_INVALID',
      /Topic/,
    );
  });

  test('a ServerURL that is not http(s) is refused', async () => {
    await refused(
      await sign(profileXml().replace('https://mdm.example.com/mdm/connect', 'ftp://mdm.example.com/connect')),
      'PROFILE_PAYLOAD_INVALID',
      /ServerURL/,
    );
  });
});
