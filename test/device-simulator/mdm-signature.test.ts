// The device's Mdm-Signature (signData, detached, through DeviceSigner): OpenSSL verifies it
// as a detached CMS signature over the exact body, re-encodes it to the same bytes (so it is
// DER), and Orchard's verifier names the identity as the signer — for RSA and EC identities.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeviceSigner } from '../../src/device-simulator/mdm-signature.js';
import { verifySignedData } from '../../src/mdm/pki/cms-verify.js';
import { opensslCa, opensslLeaf, workdir, type PemIdentity, type Workdir } from './support.js';

const BODY = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string></dict></plist>\n',
);

describe('Mdm-Signature', () => {
  let dir: Workdir;
  const identities: Record<'rsa' | 'ec', PemIdentity> = {} as Record<'rsa' | 'ec', PemIdentity>;
  before(async () => {
    dir = await workdir();
    await opensslCa(dir, 'device-ca');
    identities.rsa = await opensslLeaf(dir, 'rsa-device', 'device-ca', 'rsa');
    identities.ec = await opensslLeaf(dir, 'ec-device', 'device-ca', 'ec');
    await dir.write('body.xml', BODY);
  });
  after(() => dir.remove());

  for (const kind of ['rsa', 'ec'] as const) {
    test(`with an ${kind.toUpperCase()} identity, OpenSSL verifies it over the body and re-encodes it byte for byte`, async () => {
      const header = await new DeviceSigner(identities[kind]).signatureHeader(BODY, new Date('2026-06-01T12:00:00Z'));
      const der = Buffer.from(header, 'base64');
      await dir.write(`${kind}.der`, der);
      const content = await dir.openssl([
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        `${kind}.der`,
        '-content',
        'body.xml',
        '-CAfile',
        'device-ca.pem',
        '-purpose',
        'any',
      ]);
      assert.ok(content.equals(BODY));
      const reencoded = await dir.openssl([
        'cms',
        '-cmsout',
        '-inform',
        'DER',
        '-in',
        `${kind}.der`,
        '-outform',
        'DER',
      ]);
      assert.ok(reencoded.equals(der), 'the encoding is DER');
    });

    test(`with an ${kind.toUpperCase()} identity, Orchard's verifier accepts it and names the identity as signer`, async () => {
      const der = await new DeviceSigner(identities[kind]).sign(BODY, new Date());
      const verified = await verifySignedData(der, { detachedContent: BODY });
      assert.match(verified.signer.subject, new RegExp(`CN=${kind}-device`));
      await assert.rejects(verifySignedData(der, { detachedContent: Buffer.concat([BODY, Buffer.from(' ')]) }), {
        code: 'CMS_SIGNATURE_INVALID',
      });
    });
  }

  test('a key that is not the certificate’s is refused when the signer is made', () => {
    assert.throws(
      () =>
        new DeviceSigner({ certificatePem: identities.rsa.certificatePem, privateKeyPem: identities.ec.privateKeyPem }),
      /does not match/,
    );
  });
});
