// The certificate an admin uploads to ABM, checked with OpenSSL and node:crypto's X.509
// parser rather than with the library that built it.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type TokenKeyPair,
  certificateFingerprint,
  certificateMatchesKey,
  generateTokenKeyPair,
} from '../../src/apple/pki.js';
import { openssl, scratchDir } from './support/openssl.js';
import { appleFixture } from './support/tokens.js';

const NOW = new Date('2025-03-10T09:30:00Z');
const NAME = 'Orchard ABM token — Bäckerei Müller GmbH / Zürich Süd';

describe('generateTokenKeyPair', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let pair: TokenKeyPair;
  let certPath: string;
  let keyPath: string;

  before(async () => {
    scratch = await scratchDir();
    pair = await generateTokenKeyPair({
      commonName: NAME,
      organization: 'Orchard',
      organizationalUnit: 'Acme MSP',
      now: NOW,
    });
    certPath = join(scratch.path, 'token.pem');
    keyPath = join(scratch.path, 'token.key');
    await writeFile(certPath, pair.certificatePem);
    await writeFile(keyPath, pair.privateKeyPem);
  });
  after(() => scratch.remove());

  test('makes a self-signed X.509 v3 RSA-2048 certificate signed with sha256WithRSAEncryption', async () => {
    const text = (await openssl(['x509', '-in', certPath, '-noout', '-text'])).toString();
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /Public-Key: \(2048 bit\)/);
    assert.match(text, /Exponent: 65537/);
    const verified = (await openssl(['verify', '-CAfile', certPath, '-purpose', 'any', certPath])).toString();
    assert.match(verified, /: OK/);
  });

  test('marks key usage digitalSignature + keyEncipherment as critical and is not a CA', async () => {
    const text = (await openssl(['x509', '-in', certPath, '-noout', '-ext', 'keyUsage,basicConstraints'])).toString();
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    const cert = new X509Certificate(pair.certificatePem);
    assert.equal(cert.ca, false);
  });

  test('is valid from an hour before now until two years after', () => {
    const cert = new X509Certificate(pair.certificatePem);
    assert.equal(new Date(cert.validFrom).toISOString(), '2025-03-10T08:30:00.000Z');
    assert.equal(new Date(cert.validTo).toISOString(), '2027-03-10T09:30:00.000Z');
  });

  test('has a random positive 16-byte serial, different for every key pair', async () => {
    const other = await generateTokenKeyPair({ commonName: NAME, now: NOW });
    const serials = [pair, other].map((p) => new X509Certificate(p.certificatePem).serialNumber);
    for (const serial of serials) {
      assert.match(serial, /^[0-9A-F]{32}$/);
      assert.ok(Number.parseInt(serial.slice(0, 2), 16) < 0x80, 'positive without a leading zero octet');
    }
    assert.notEqual(serials[0], serials[1]);
  });

  test('encodes a non-ASCII customer name as UTF8String that reads back unchanged', async () => {
    const cert = new X509Certificate(pair.certificatePem);
    assert.equal(cert.subject, `O=Orchard\nOU=Acme MSP\nCN=${NAME}`);
    assert.equal(cert.issuer, cert.subject);
    const listing = (await openssl(['asn1parse', '-in', certPath])).toString();
    const commonName = listing.split('\n').findIndex((line) => line.includes(':commonName'));
    assert.match(listing.split('\n')[commonName + 1] ?? '', /UTF8STRING/);
    assert.doesNotMatch(listing, /PRINTABLESTRING|T61STRING/);
  });

  test('bounds over-long names to the 64-character X.520 limit', async () => {
    const long = await generateTokenKeyPair({ commonName: `Orchard ABM token — ${'Ä'.repeat(100)}`, now: NOW });
    const cn = /CN=(.*)$/m.exec(new X509Certificate(long.certificatePem).subject)?.[1] ?? '';
    assert.equal(Array.from(cn).length, 64);
    assert.ok(cn.endsWith('…'));
  });

  test('writes a PKCS#8 private key that OpenSSL accepts and that belongs to the certificate', async () => {
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const check = (await openssl(['pkey', '-in', keyPath, '-check', '-noout'])).toString();
    assert.match(check, /Key is valid/);
    assert.equal(certificateMatchesKey(pair.certificatePem, pair.privateKeyPem), true);
  });

  test('certificateFingerprint is the SHA-256 of the DER, as openssl x509 -fingerprint reports it', async () => {
    const out = (await openssl(['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256'])).toString();
    const expected = (/=([0-9A-F:]+)/.exec(out)?.[1] ?? '').replace(/:/g, '').toLowerCase();
    assert.equal(certificateFingerprint(pair.certificatePem), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
  });

  test('certificateMatchesKey refuses a key from another pair and unreadable input', () => {
    assert.equal(certificateMatchesKey(pair.certificatePem, appleFixture.privateKeyPem), false);
    assert.equal(certificateMatchesKey(appleFixture.certificatePem, appleFixture.privateKeyPem), true);
    assert.equal(certificateMatchesKey('not a certificate', pair.privateKeyPem), false);
    assert.equal(certificateMatchesKey(pair.certificatePem, 'not a key'), false);
  });
});

test('control characters in a name never reach the certificate, and an empty name is a programming error', async () => {
  const pair = await generateTokenKeyPair({ commonName: 'Acme\n\tCorp\u0000 / HQ', now: NOW });
  assert.equal(new X509Certificate(pair.certificatePem).subject, 'CN=Acme Corp / HQ');
  await assert.rejects(generateTokenKeyPair({ commonName: ' \n ', now: NOW }), RangeError);
});
