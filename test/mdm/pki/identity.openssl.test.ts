// Certificates from identity.ts read back and verified by OpenSSL: the CA, the three issuing
// profiles, public keys that came from `openssl req` / `openssl genpkey`, and the names.
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  type Identity,
  IdentityError,
  certificateSha256,
  createCertificateAuthority,
  createIdentity,
  issueCertificate,
  pemCertificateDer,
} from '../../../src/mdm/pki/identity.js';
import { type OpensslDir, opensslDir, opensslKey } from './support.js';

const NOW = new Date('2026-05-01T10:20:30.456Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

let dir: OpensslDir;
let ca: Identity;

before(async () => {
  dir = await opensslDir();
  ca = await createCertificateAuthority({
    subject: [
      ['C', 'DE'],
      ['O', 'Orchard MSP'],
      ['CN', 'Orchard Device CA'],
    ],
    now: NOW,
    validityDays: 3650,
  });
  await dir.write('ca.pem', ca.certificatePem);
});
after(() => dir.remove());

async function text(pem: string): Promise<string> {
  return (
    await dir.run(['x509', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space'], { input: pem })
  ).toString();
}

/** `openssl verify` at the certificates' own time (the CA starts an hour before NOW). */
async function opensslVerify(pem: string, purpose?: string): Promise<string> {
  const name = `leaf-${Math.random().toString(16).slice(2)}.pem`;
  await dir.write(name, pem);
  const args = ['verify', '-attime', String(Math.floor(NOW.getTime() / 1000)), '-CAfile', 'ca.pem'];
  if (purpose !== undefined) args.push('-purpose', purpose);
  return (await dir.run([...args, name])).toString();
}

describe('the certificate authority', () => {
  test('is self-signed RSA 2048 with SHA-256, CA:true and keyCertSign+cRLSign, both critical, and a key identifier', async () => {
    const out = await text(ca.certificatePem);
    assert.match(out, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(out, /Public-Key: \(2048 bit\)/);
    assert.match(out, /Issuer: C=DE, O=Orchard MSP, CN=Orchard Device CA/);
    assert.match(out, /Subject: C=DE, O=Orchard MSP, CN=Orchard Device CA/);
    assert.match(out, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
    assert.match(out, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    assert.match(out, /X509v3 Subject Key Identifier:/);
    assert.match(await opensslVerify(ca.certificatePem), /OK/);
    assert.equal(new X509Certificate(ca.certificatePem).ca, true);
    assert.ok(createPrivateKey(ca.privateKeyPem).asymmetricKeyDetails?.modulusLength === 2048);
    assert.match(ca.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  });
});

describe('issueCertificate', () => {
  test('a client identity for a key from `openssl req` verifies against the CA and carries the device profile', async () => {
    await opensslKey(dir, 'device', 'rsa');
    await dir.run(['req', '-new', '-key', 'device.key', '-subj', '/CN=ignored', '-out', 'device.csr']);
    const publicKey = createPublicKey(await dir.run(['req', '-in', 'device.csr', '-pubkey', '-noout']));
    const issued = await issueCertificate({
      issuer: ca,
      subject: [
        ['O', 'Orchard MSP'],
        ['CN', 'Device C02XK1ZZJG5H'],
        ['serialNumber', 'C02XK1ZZJG5H'],
      ],
      publicKey,
      now: NOW,
      validityDays: 365,
      profile: 'client-identity',
    });
    assert.match(await opensslVerify(issued.certificatePem), /OK/);
    assert.match(await opensslVerify(issued.certificatePem, 'sslclient'), /OK/);
    const out = await text(issued.certificatePem);
    assert.match(out, /Subject: O=Orchard MSP, CN=Device C02XK1ZZJG5H, serialNumber=C02XK1ZZJG5H/);
    assert.match(out, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(out, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    assert.match(out, /X509v3 Extended Key Usage: \s*\n\s+TLS Web Client Authentication\n/);
    assert.match(out, /X509v3 Subject Key Identifier:/);
    assert.match(out, /X509v3 Authority Key Identifier:/);
    // The leaf's public key is the one from the CSR.
    const cert = new X509Certificate(issued.certificatePem);
    assert.ok(cert.publicKey.equals(publicKey));
    assert.ok(cert.checkIssued(new X509Certificate(ca.certificatePem)));
    assert.ok(cert.verify(new X509Certificate(ca.certificatePem).publicKey));
  });

  test('SPKI DER from `openssl genpkey` (EC P-256) is accepted, and serial, fingerprint and dates are what OpenSSL reads', async () => {
    await opensslKey(dir, 'ec', 'ec-p256');
    const spki = await dir.run(['pkey', '-in', 'ec.key', '-pubout', '-outform', 'DER']);
    const issued = await issueCertificate({
      issuer: ca,
      subject: [['CN', 'EC device']],
      publicKey: spki,
      now: NOW,
      validityDays: 30,
      profile: 'client-identity',
    });
    assert.match(await opensslVerify(issued.certificatePem), /OK/);
    const facts = (
      await dir.run(['x509', '-noout', '-serial', '-fingerprint', '-sha256', '-inform', 'DER'], {
        input: issued.certificateDer,
      })
    ).toString();
    assert.match(facts, new RegExp(`serial=${issued.serialNumberHex.toUpperCase()}\\n`));
    const fingerprint = /Fingerprint=([0-9A-F:]+)/.exec(facts)?.[1]?.replace(/:/g, '').toLowerCase();
    assert.equal(fingerprint, issued.sha256Hex);
    assert.equal(issued.sha256Hex, certificateSha256(issued.certificateDer));
    assert.equal(issued.sha256Hex, certificateSha256(issued.certificatePem));
    const cert = new X509Certificate(issued.certificatePem);
    // notBefore an hour early for clock skew (whole seconds), notAfter validityDays later.
    assert.equal(new Date(cert.validFrom).getTime(), Math.floor((NOW.getTime() - HOUR_MS) / 1000) * 1000);
    assert.equal(new Date(cert.validTo).getTime(), Math.floor((NOW.getTime() + 30 * DAY_MS) / 1000) * 1000);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  test('serials are random, positive and 16 bytes', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const serials = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const issued = await issueCertificate({
        issuer: ca,
        subject: [['CN', `d${i}`]],
        publicKey,
        now: NOW,
        validityDays: 1,
        profile: 'client-identity',
      });
      assert.match(issued.serialNumberHex, /^[4-7][0-9a-f]{31}$/);
      assert.equal(new X509Certificate(issued.certificatePem).serialNumber.toLowerCase(), issued.serialNumberHex);
      serials.add(issued.serialNumberHex);
    }
    assert.equal(serials.size, 8);
  });

  test('a signing certificate is accepted by OpenSSL for S/MIME signing and carries emailProtection', async () => {
    const signer = await createIdentity({
      subject: [['CN', 'Orchard profile signer']],
      issuer: ca,
      now: NOW,
      validityDays: 365,
      profile: 'signing',
    });
    assert.match(await opensslVerify(signer.certificatePem, 'smimesign'), /OK/);
    const out = await text(signer.certificatePem);
    assert.match(out, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(out, /X509v3 Key Usage: critical\s+Digital Signature\n/);
    assert.match(out, /X509v3 Extended Key Usage: \s*\n\s+E-mail Protection\n/);
    assert.match(out, /X509v3 Authority Key Identifier:/);
  });

  test('an intermediate CA issued by the root can issue in turn, and OpenSSL follows the chain', async () => {
    const intermediate = await createIdentity({
      subject: [['CN', 'Orchard Intermediate']],
      issuer: ca,
      now: NOW,
      validityDays: 365,
      profile: 'ca',
    });
    const leaf = await createIdentity({
      subject: [['CN', 'leaf']],
      issuer: intermediate,
      now: NOW,
      validityDays: 30,
      profile: 'client-identity',
      keyType: 'ec-p256',
    });
    await dir.write('intermediate.pem', intermediate.certificatePem);
    await dir.write('leaf-of-intermediate.pem', leaf.certificatePem);
    const out = await dir.run([
      'verify',
      '-attime',
      String(Math.floor(NOW.getTime() / 1000)),
      '-CAfile',
      'ca.pem',
      '-untrusted',
      'intermediate.pem',
      'leaf-of-intermediate.pem',
    ]);
    assert.match(out.toString(), /OK/);
  });

  test('an issuer that is not a CA, or whose key does not match, is refused with IdentityError', async () => {
    const leaf = await createIdentity({
      subject: [['CN', 'not a CA']],
      issuer: ca,
      now: NOW,
      validityDays: 30,
      profile: 'client-identity',
    });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const request = {
      subject: [['CN', 'x']] as const,
      publicKey,
      now: NOW,
      validityDays: 1,
      profile: 'client-identity' as const,
    };
    await assert.rejects(issueCertificate({ ...request, issuer: leaf }), IdentityError);
    await assert.rejects(
      issueCertificate({
        ...request,
        issuer: { certificatePem: ca.certificatePem, privateKeyPem: leaf.privateKeyPem },
      }),
      IdentityError,
    );
    await assert.rejects(
      issueCertificate({ ...request, issuer: ca, publicKey: Buffer.from('not a key') }),
      IdentityError,
    );
  });
});

describe('createIdentity', () => {
  test('self-signed when no issuer is given, with the requested profile', async () => {
    const identity = await createIdentity({
      subject: [['CN', 'Factory device']],
      now: NOW,
      validityDays: 10,
      profile: 'client-identity',
      keyType: 'ec-p256',
    });
    const cert = new X509Certificate(identity.certificatePem);
    assert.equal(cert.subject, cert.issuer);
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(cert.ca, false);
    assert.ok(cert.checkPrivateKey(createPrivateKey(identity.privateKeyPem)));
  });

  test('uses an existing key pair when given, and refuses halves of different pairs', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const identity = await createIdentity({
      subject: [['CN', 'kept key']],
      issuer: ca,
      now: NOW,
      validityDays: 10,
      profile: 'signing',
      ...pair,
    });
    assert.ok(new X509Certificate(identity.certificatePem).publicKey.equals(pair.publicKey));
    assert.equal(identity.privateKeyPem, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await assert.rejects(
      createIdentity({
        subject: [['CN', 'x']],
        now: NOW,
        validityDays: 1,
        profile: 'signing',
        publicKey: other.publicKey,
        privateKey: pair.privateKey,
      }),
      IdentityError,
    );
    await assert.rejects(
      createIdentity({
        subject: [['CN', 'x']],
        now: NOW,
        validityDays: 1,
        profile: 'signing',
        publicKey: pair.publicKey,
      }),
      IdentityError,
    );
  });

  test('names keep their order, one attribute per RDN, UTF-8 text intact, country and serialNumber printable', async () => {
    const identity = await createIdentity({
      subject: [
        ['C', 'CH'],
        ['ST', 'Zürich'],
        ['L', 'Zürich'],
        ['O', 'Bäckerei Müller'],
        ['OU', 'Filiale 3'],
        ['CN', 'Kasse 1'],
        ['serialNumber', 'F2LXK1ZZJG5H'],
      ],
      now: NOW,
      validityDays: 1,
      profile: 'client-identity',
    });
    const out = await text(identity.certificatePem);
    assert.match(
      out,
      /Subject: C=CH, ST=Zürich, L=Zürich, O=Bäckerei Müller, OU=Filiale 3, CN=Kasse 1, serialNumber=F2LXK1ZZJG5H\n/,
    );
    const dump = (
      await dir.run(['asn1parse', '-inform', 'DER'], { input: pemCertificateDer(identity.certificatePem) })
    ).toString();
    assert.match(dump, /countryName\s*\n.*PRINTABLESTRING\s+:CH/);
    assert.match(dump, /serialNumber\s*\n.*PRINTABLESTRING\s+:F2LXK1ZZJG5H/);
    assert.match(dump, /organizationName\s*\n.*UTF8STRING/);
    await assert.rejects(
      createIdentity({ subject: [['C', 'Switzerland']], now: NOW, validityDays: 1, profile: 'ca' }),
      IdentityError,
    );
    await assert.rejects(createIdentity({ subject: [], now: NOW, validityDays: 1, profile: 'ca' }), IdentityError);
  });
});

test('certificateSha256 is the SHA-256 OpenSSL prints, from PEM or DER', async () => {
  const out = (await dir.run(['x509', '-noout', '-fingerprint', '-sha256', '-in', 'ca.pem'])).toString();
  const expected = /Fingerprint=([0-9A-F:]+)/.exec(out)?.[1]?.replace(/:/g, '').toLowerCase();
  assert.equal(certificateSha256(ca.certificatePem), expected);
  assert.equal(certificateSha256(pemCertificateDer(ca.certificatePem)), expected);
});
