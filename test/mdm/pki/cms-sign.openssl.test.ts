// signData's output checked by OpenSSL (`smime -verify` and `cms -verify` with only the CA
// as trust anchor), the way a device or an admin's tool checks a served enrollment profile;
// its DER checked by OpenSSL and pkijs re-encoding it to the same bytes (signData writes the
// DER by hand, so no library vouches for it otherwise).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ContentInfo, SignedData } from 'pkijs';
import { certificatesOnly, signData } from '../../../src/mdm/pki/cms-sign.js';
import { verifySignedData } from '../../../src/mdm/pki/cms-verify.js';
import {
  type Identity,
  IdentityError,
  createCertificateAuthority,
  createIdentity,
  pemCertificateDer,
} from '../../../src/mdm/pki/identity.js';
import { type OpensslDir, OpensslFailed, hasIndefiniteLength, opensslDir } from './support.js';

const NOW = new Date();
const PROFILE = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>PayloadType</key>' +
    '<string>Configuration</string><key>PayloadDisplayName</key><string>Orchard — Bäckerei Müller</string></dict></plist>\n',
);
// SCEP transactionID (RFC 8894 §3.2.1.1), a PrintableString: the kind of extra attribute SCEP adds.
const TRANSACTION_ID_OID = '2.16.840.1.113733.1.9.7';
const TRANSACTION_ID_DER = Buffer.from([0x13, 0x04, 0x61, 0x62, 0x63, 0x64]); // PrintableString "abcd"

let dir: OpensslDir;
let ca: Identity;
let rsaSigner: Identity;
let ecSigner: Identity;

before(async () => {
  dir = await opensslDir();
  ca = await createCertificateAuthority({
    subject: [
      ['O', 'Orchard'],
      ['CN', 'Orchard Test CA'],
    ],
    now: NOW,
    validityDays: 3650,
  });
  rsaSigner = await createIdentity({
    subject: [['CN', 'Orchard profile signer']],
    issuer: ca,
    now: NOW,
    validityDays: 365,
    profile: 'signing',
  });
  ecSigner = await createIdentity({
    subject: [['CN', 'Orchard profile signer (EC)']],
    issuer: ca,
    now: NOW,
    validityDays: 365,
    profile: 'signing',
    keyType: 'ec-p256',
  });
  await dir.write('ca.pem', ca.certificatePem);
  await dir.write('profile.plist', PROFILE);
});
after(() => dir.remove());

async function opensslVerifies(
  tool: 'smime' | 'cms',
  cms: Buffer,
  options: { detached?: boolean; purpose?: string; caFile?: string } = {},
): Promise<Buffer> {
  const name = `${tool}-${Math.random().toString(16).slice(2)}.der`;
  await dir.write(name, cms);
  const args = [tool, '-verify', '-inform', 'DER', '-in', name, '-CAfile', options.caFile ?? 'ca.pem', '-binary'];
  if (options.detached === true) args.push('-content', 'profile.plist');
  if (options.purpose !== undefined) args.push('-purpose', options.purpose);
  return dir.run(args);
}

describe('OpenSSL verifies what signData makes', () => {
  for (const [label, signer] of [
    ['RSA', () => rsaSigner],
    ['ECDSA P-256', () => ecSigner],
  ] as const) {
    test(`${label}: an attached profile verifies with openssl smime and cms against the CA, and gives back the bytes`, async () => {
      const cms = await signData({ content: PROFILE, signer: signer(), detached: false, now: NOW });
      assert.deepEqual(await opensslVerifies('smime', cms), PROFILE);
      assert.deepEqual(await opensslVerifies('cms', cms), PROFILE);
      assert.deepEqual(await opensslVerifies('cms', cms, { purpose: 'any' }), PROFILE);
    });

    test(`${label}: a detached signature verifies with openssl smime and cms given the content`, async () => {
      const cms = await signData({ content: PROFILE, signer: signer(), detached: true, now: NOW });
      assert.deepEqual(await opensslVerifies('smime', cms, { detached: true }), PROFILE);
      assert.deepEqual(await opensslVerifies('cms', cms, { detached: true }), PROFILE);
    });
  }

  test('the output is DER (no indefinite lengths) with the signer certificate embedded byte for byte', async () => {
    const cms = await signData({ content: PROFILE, signer: rsaSigner, detached: false, now: NOW });
    assert.equal(await hasIndefiniteLength(dir, cms), false);
    const certs = await dir.run(['pkcs7', '-inform', 'DER', '-print_certs'], { input: cms });
    assert.equal(
      new X509Certificate(certs).fingerprint256,
      new X509Certificate(rsaSigner.certificatePem).fingerprint256,
    );
    assert.ok(cms.includes(pemCertificateDer(rsaSigner.certificatePem)));
  });

  test('an intermediate passed as an extra certificate lets OpenSSL build the chain to the root alone', async () => {
    const intermediate = await createIdentity({
      subject: [['CN', 'Orchard Intermediate']],
      issuer: ca,
      now: NOW,
      validityDays: 365,
      profile: 'ca',
    });
    const leaf = await createIdentity({
      subject: [['CN', 'Signer under intermediate']],
      issuer: intermediate,
      now: NOW,
      validityDays: 30,
      profile: 'signing',
    });
    const without = await signData({ content: PROFILE, signer: leaf, detached: false, now: NOW });
    await assert.rejects(opensslVerifies('cms', without), OpensslFailed);
    const withChain = await signData({
      content: PROFILE,
      signer: leaf,
      detached: false,
      now: NOW,
      extraCertificatesPem: [intermediate.certificatePem],
    });
    assert.deepEqual(await opensslVerifies('cms', withChain), PROFILE);
  });

  test('signed attributes are contentType, messageDigest, signingTime and the extras, as OpenSSL reads them', async () => {
    const cms = await signData({
      content: PROFILE,
      signer: rsaSigner,
      detached: false,
      now: new Date('2026-03-04T05:06:07.890Z'),
      extraSignedAttributes: [{ oid: TRANSACTION_ID_OID, values: [TRANSACTION_ID_DER] }],
    });
    const printed = (await dir.run(['cms', '-cmsout', '-print', '-inform', 'DER'], { input: cms })).toString();
    assert.match(printed, /object: contentType \(1\.2\.840\.113549\.1\.9\.3\)/);
    assert.match(printed, /object: messageDigest \(1\.2\.840\.113549\.1\.9\.4\)/);
    assert.match(printed, /object: signingTime \(1\.2\.840\.113549\.1\.9\.5\)/);
    assert.match(printed, /UTCTIME:Mar {2}4 05:06:07 2026 GMT/);
    assert.match(printed, /object: (undefined|2\.16\.840\.1\.113733\.1\.9\.7)[\s\S]*PRINTABLESTRING:abcd/);
    assert.deepEqual(await opensslVerifies('cms', cms), PROFILE);
  });
});

describe('signData writes DER', () => {
  // Two values in one attribute and two certificates: both SETs must come out DER-sorted.
  const TWO_VALUES = [Buffer.from([0x13, 0x02, 0x7a, 0x7a]), Buffer.from([0x13, 0x01, 0x61])];

  for (const [label, signer] of [
    ['RSA', () => rsaSigner],
    ['ECDSA P-256', () => ecSigner],
  ] as const) {
    for (const detached of [false, true]) {
      test(`${label}, ${detached ? 'detached' : 'attached'}: OpenSSL and pkijs re-encode it to the same bytes, and asn1parse reads it whole`, async () => {
        const cms = await signData({
          content: PROFILE,
          signer: signer(),
          detached,
          now: NOW,
          extraCertificatesPem: [ca.certificatePem],
          extraSignedAttributes: [{ oid: TRANSACTION_ID_OID, values: TWO_VALUES }],
        });
        const reencoded = await dir.run(['cms', '-cmsout', '-inform', 'DER', '-outform', 'DER'], { input: cms });
        assert.ok(reencoded.equals(cms), 'openssl cms -cmsout gives back the same bytes');

        const parsed = ContentInfo.fromBER(cms);
        const signedData = new SignedData({ schema: parsed.content });
        const pkijs = new ContentInfo({ contentType: parsed.contentType, content: signedData.toSchema(true) });
        assert.ok(Buffer.from(pkijs.toSchema().toBER()).equals(cms), 'pkijs re-encodes the same bytes');

        const dump = (await dir.run(['asn1parse', '-inform', 'DER'], { input: cms })).toString();
        const outer = /^\s*0:d=0\s+hl=(\d+)\s+l=\s*(\d+)\s+cons: SEQUENCE/.exec(dump);
        assert.ok(outer, dump.slice(0, 200));
        assert.equal(Number(outer[1]) + Number(outer[2]), cms.length, 'one element spans the whole output');
        assert.doesNotMatch(dump, /l=inf|error/i);
      });
    }
  }

  test('signingTime is UTCTime up to 2049 and GeneralizedTime from 2050 (RFC 5652 §11.3), whole seconds', async () => {
    const printed = async (now: Date) => {
      const cms = await signData({ content: PROFILE, signer: ecSigner, detached: true, now });
      return (await dir.run(['asn1parse', '-inform', 'DER'], { input: cms })).toString();
    };
    assert.match(await printed(new Date('2049-12-31T23:59:59.999Z')), /UTCTIME\s+:491231235959Z/);
    assert.match(await printed(new Date('2050-01-01T00:00:00.500Z')), /GENERALIZEDTIME\s+:20500101000000Z/);
  });

  test('the certificates-only message is DER as well: OpenSSL re-encodes it to the same bytes', async () => {
    const der = certificatesOnly([pemCertificateDer(rsaSigner.certificatePem)]);
    const reencoded = await dir.run(['pkcs7', '-inform', 'DER', '-outform', 'DER'], { input: der });
    assert.ok(reencoded.equals(der));
  });
});

describe('signData refuses what it cannot sign truthfully', () => {
  const sign = (o: {
    signer?: Identity;
    extraSignedAttributes?: { oid: string; values: Buffer[] }[];
    extraCertificatesPem?: string[];
  }) => signData({ content: PROFILE, signer: o.signer ?? rsaSigner, detached: false, now: NOW, ...o });

  test('an attribute value that is not exactly one ASN.1 element, or no value at all, is an IdentityError', async () => {
    for (const values of [
      [Buffer.concat([TRANSACTION_ID_DER, TRANSACTION_ID_DER])],
      [TRANSACTION_ID_DER.subarray(0, 4)],
      [Buffer.alloc(0)],
      [],
    ]) {
      await assert.rejects(sign({ extraSignedAttributes: [{ oid: TRANSACTION_ID_OID, values }] }), IdentityError);
    }
  });

  test('an attribute type that is not an object identifier is an IdentityError', async () => {
    for (const oid of ['', '1', '3.1', '1.40', '1.2.x']) {
      await assert.rejects(sign({ extraSignedAttributes: [{ oid, values: [TRANSACTION_ID_DER] }] }), IdentityError);
    }
  });

  test('an extra certificate that is not a PEM certificate is an IdentityError', async () => {
    await assert.rejects(sign({ extraCertificatesPem: ['not a certificate'] }), IdentityError);
  });

  test('a key that is not the certificate’s is refused, even after that certificate signed with its own key', async () => {
    await sign({});
    await assert.rejects(
      sign({ signer: { certificatePem: rsaSigner.certificatePem, privateKeyPem: ecSigner.privateKeyPem } }),
      (error: unknown) => error instanceof IdentityError && /does not match/.test(error.message),
    );
  });

  test('certificatesOnly refuses DER that is not exactly one certificate', () => {
    const der = pemCertificateDer(ca.certificatePem);
    for (const bad of [
      Buffer.concat([der, Buffer.from([0])]),
      der.subarray(0, der.length - 1),
      Buffer.from([0x30, 0]),
    ]) {
      assert.throws(() => certificatesOnly([bad]), IdentityError);
    }
  });
});

describe('verifySignedData reads what signData makes', () => {
  test('attached and detached round trips give back content, signer and extra attributes', async () => {
    for (const detached of [false, true]) {
      const cms = await signData({
        content: PROFILE,
        signer: ecSigner,
        detached,
        now: NOW,
        extraCertificatesPem: [ca.certificatePem],
        extraSignedAttributes: [{ oid: TRANSACTION_ID_OID, values: [TRANSACTION_ID_DER] }],
      });
      const result = await verifySignedData(cms, detached ? { detachedContent: PROFILE } : {});
      assert.deepEqual(result.content, PROFILE);
      assert.equal(result.signer.fingerprint256, new X509Certificate(ecSigner.certificatePem).fingerprint256);
      assert.equal(result.certificates.length, 2);
      assert.deepEqual(result.signedAttributes.get(TRANSACTION_ID_OID), [TRANSACTION_ID_DER]);
    }
  });
});

describe('certificatesOnly', () => {
  test('a degenerate SignedData OpenSSL reads back as the same certificates, in order', async () => {
    const intermediate = await createIdentity({
      subject: [['CN', 'Orchard RA']],
      issuer: ca,
      now: NOW,
      validityDays: 30,
      profile: 'ca',
    });
    const der = certificatesOnly([ca.certificatePem, pemCertificateDer(intermediate.certificatePem)]);
    assert.equal(await hasIndefiniteLength(dir, der), false);
    const printed = (await dir.run(['pkcs7', '-inform', 'DER', '-print_certs'], { input: der })).toString();
    const blocks = printed.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    assert.deepEqual(
      blocks.map((b) => new X509Certificate(b).fingerprint256),
      [
        new X509Certificate(ca.certificatePem).fingerprint256,
        new X509Certificate(intermediate.certificatePem).fingerprint256,
      ],
    );
  });

  test('signData refuses extra attributes that would repeat contentType, messageDigest or signingTime', async () => {
    await assert.rejects(
      signData({
        content: PROFILE,
        signer: rsaSigner,
        detached: false,
        now: NOW,
        extraSignedAttributes: [
          { oid: '1.2.840.113549.1.9.5', values: [Buffer.from('170d3236303130313030303030305a', 'hex')] },
        ],
      }),
      IdentityError,
    );
  });
});
