// verifySignedData against CMS made by `openssl cms -sign` in the shapes devices and tools
// produce: DER and streamed BER, with and without signed attributes, SHA-1 to SHA-512,
// RSA and ECDSA signers, attached and detached content.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CmsError, type CmsErrorCode, verifySignedData } from '../../../src/mdm/pki/cms-verify.js';
import {
  type OpensslCertificate,
  type OpensslDir,
  type OpensslKeyType,
  type OpensslSignOptions,
  flipBit,
  hasIndefiniteLength,
  opensslCertificate,
  opensslCmsSign,
  opensslDir,
} from './support.js';

const MACHINE_INFO = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>SERIAL</key><string>C02XK1ZZJG5H</string>' +
    '<key>UDID</key><string>00008030-001A2D3E0C12802E</string></dict></plist>\n',
);

const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_DATA = '1.2.840.113549.1.7.1';

let dir: OpensslDir;
const signers = new Map<OpensslKeyType, OpensslCertificate>();

before(async () => {
  dir = await opensslDir();
  const root = await opensslCertificate(dir, { name: 'root', subject: '/O=Test/CN=Test Root', ca: true });
  for (const keyType of ['rsa', 'ec-p256', 'ec-p384'] as const) {
    signers.set(
      keyType,
      await opensslCertificate(dir, {
        name: `signer-${keyType}`,
        subject: `/CN=Device ${keyType}`,
        keyType,
        issuer: root,
        ca: false,
      }),
    );
  }
});
after(() => dir.remove());

function signer(keyType: OpensslKeyType): OpensslCertificate {
  const s = signers.get(keyType);
  if (s === undefined) throw new Error(`no ${keyType} signer`);
  return s;
}

async function refusal(promise: Promise<unknown>, code: CmsErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CmsError, `expected a CmsError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe('OpenSSL-made signatures verify', () => {
  const shapes: { label: string; options: OpensslSignOptions }[] = [
    { label: 'DER, attached', options: {} },
    { label: 'BER with indefinite lengths (-stream)', options: { stream: true } },
    { label: 'without signed attributes (-noattr)', options: { noattr: true } },
    { label: 'SHA-1 (-md sha1)', options: { md: 'sha1' } },
    { label: 'SHA-384 (-md sha384)', options: { md: 'sha384' } },
    { label: 'SHA-512 (-md sha512)', options: { md: 'sha512' } },
    { label: 'streamed, SHA-512, no attributes', options: { stream: true, md: 'sha512', noattr: true } },
    { label: 'detached', options: { detached: true } },
    { label: 'detached and streamed', options: { detached: true, stream: true } },
    { label: 'signer named by subjectKeyIdentifier (-keyid)', options: { keyid: true } },
  ];
  for (const keyType of ['rsa', 'ec-p256', 'ec-p384'] as const) {
    for (const { label, options } of shapes) {
      test(`${keyType}: ${label} gives back the content, the signer and its attributes`, async () => {
        const cms = await opensslCmsSign(dir, signer(keyType), MACHINE_INFO, options);
        if (options.stream === true) assert.ok(await hasIndefiniteLength(dir, cms), 'expected BER indefinite lengths');
        const result = await verifySignedData(cms, options.detached === true ? { detachedContent: MACHINE_INFO } : {});
        assert.deepEqual(result.content, MACHINE_INFO);
        assert.equal(result.signer.fingerprint256, new X509Certificate(signer(keyType).certificatePem).fingerprint256);
        assert.equal(result.contentType, OID_DATA);
        assert.equal(result.certificates.length, 1);
        if (options.noattr === true) {
          assert.equal(result.signedAttributes.size, 0);
        } else {
          // Each value is the DER of the attribute value: an OID for contentType, an OCTET STRING for messageDigest.
          assert.deepEqual(result.signedAttributes.get(OID_CONTENT_TYPE), [
            Buffer.from('06092a864886f70d010701', 'hex'),
          ]);
          const digest = result.signedAttributes.get(OID_MESSAGE_DIGEST)?.[0];
          assert.equal(digest?.[0], 0x04);
        }
      });
    }
  }

  test('a MachineInfo shaped like an Apple device’s (RSA-1024, SHA-1, device CA sent along, streamed BER) verifies', async () => {
    const deviceCa = await opensslCertificate(dir, {
      name: 'device-ca',
      subject: '/O=Test/CN=Test iPhone Device CA',
      ca: true,
      keyType: 'rsa-1024',
      md: 'sha1',
    });
    const device = await opensslCertificate(dir, {
      name: 'device-1024',
      subject: '/CN=0028864F-4A2C-4C23-997D-E73E4A0838D3',
      ca: false,
      issuer: deviceCa,
      keyType: 'rsa-1024',
      md: 'sha1',
    });
    const cms = await opensslCmsSign(dir, device, MACHINE_INFO, {
      md: 'sha1',
      stream: true,
      certfile: deviceCa.certificatePath,
    });
    const result = await verifySignedData(cms);
    assert.deepEqual(result.content, MACHINE_INFO);
    assert.equal(result.signer.subject, 'CN=0028864F-4A2C-4C23-997D-E73E4A0838D3');
    assert.deepEqual(result.certificates.map((c) => c.subject).sort(), [
      'CN=0028864F-4A2C-4C23-997D-E73E4A0838D3',
      'O=Test\nCN=Test iPhone Device CA',
    ]);
  });

  test('extra certificates from -certfile are returned with the signer picked out of them', async () => {
    const extra = await opensslCertificate(dir, { name: 'extra', subject: '/CN=Unrelated', ca: false });
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO, { certfile: extra.certificatePath });
    const result = await verifySignedData(cms);
    assert.equal(result.certificates.length, 2);
    assert.equal(result.signer.subject, 'CN=Device rsa');
  });
});

describe('refusals', () => {
  test('a changed byte of attached content is CMS_SIGNATURE_INVALID (messageDigest no longer matches)', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO);
    const at = cms.indexOf(Buffer.from('C02XK1ZZJG5H'));
    assert.ok(at > 0);
    await refusal(verifySignedData(flipBit(cms, at, 1)), 'CMS_SIGNATURE_INVALID');
  });

  test('a changed byte of attached content without signed attributes is CMS_SIGNATURE_INVALID', async () => {
    const cms = await opensslCmsSign(dir, signer('ec-p256'), MACHINE_INFO, { noattr: true });
    const at = cms.indexOf(Buffer.from('C02XK1ZZJG5H'));
    await refusal(verifySignedData(flipBit(cms, at, 1)), 'CMS_SIGNATURE_INVALID');
  });

  test('a changed signature is CMS_SIGNATURE_INVALID', async () => {
    for (const keyType of ['rsa', 'ec-p256'] as const) {
      // DER output without unsigned attributes ends with the signature's last octet.
      const cms = await opensslCmsSign(dir, signer(keyType), MACHINE_INFO);
      await refusal(verifySignedData(flipBit(cms, cms.length - 1, 0)), 'CMS_SIGNATURE_INVALID');
    }
  });

  test('a detached signature over other content is CMS_SIGNATURE_INVALID', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO, { detached: true });
    const other = Buffer.from(MACHINE_INFO);
    other[other.length - 2] = 0x20;
    await refusal(verifySignedData(cms, { detachedContent: other }), 'CMS_SIGNATURE_INVALID');
    const bare = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO, { detached: true, noattr: true });
    await refusal(verifySignedData(bare, { detachedContent: other }), 'CMS_SIGNATURE_INVALID');
  });

  test('a detached signature with no content given is CMS_CONTENT_MISSING', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO, { detached: true });
    await refusal(verifySignedData(cms), 'CMS_CONTENT_MISSING');
  });

  test('an attached signature checked against a different body is refused, not verified over its own content', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO);
    await refusal(verifySignedData(cms, { detachedContent: Buffer.from('another body') }), 'CMS_SIGNATURE_INVALID');
    const same = await verifySignedData(cms, { detachedContent: MACHINE_INFO });
    assert.deepEqual(same.content, MACHINE_INFO);
  });

  test('a message without the signer certificate (-nocerts) is CMS_NO_SIGNER', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO, { nocerts: true });
    await refusal(verifySignedData(cms), 'CMS_NO_SIGNER');
  });

  test('RSASSA-PSS is CMS_UNSUPPORTED_ALGORITHM', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO, { keyopt: 'rsa_padding_mode:pss' });
    await refusal(verifySignedData(cms), 'CMS_UNSUPPORTED_ALGORITHM');
  });

  test('a message over maxBytes is CMS_TOO_LARGE before anything is parsed', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO);
    await refusal(verifySignedData(cms, { maxBytes: cms.length - 1 }), 'CMS_TOO_LARGE');
    await refusal(verifySignedData(Buffer.alloc(300 * 1024)), 'CMS_TOO_LARGE');
    assert.ok(await verifySignedData(cms, { maxBytes: cms.length }));
  });

  test('other CMS content types, trailing bytes and empty input are CMS_MALFORMED', async () => {
    const cms = await opensslCmsSign(dir, signer('rsa'), MACHINE_INFO);
    await refusal(verifySignedData(Buffer.concat([cms, Buffer.from([0])])), 'CMS_MALFORMED');
    await refusal(verifySignedData(new Uint8Array(0)), 'CMS_MALFORMED');
    const encrypted = await dir.run(
      ['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes128', signer('rsa').certificatePath],
      {
        input: MACHINE_INFO,
      },
    );
    await refusal(verifySignedData(encrypted), 'CMS_MALFORMED');
  });
});
