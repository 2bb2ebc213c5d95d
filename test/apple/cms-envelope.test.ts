import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodePkcs1v15 } from '../../src/apple/cms-envelope.js';
import { decryptServerToken } from '../../src/apple/token-file.js';
import { appleSmime, encryptWithOpenssl, openssl, scratchDir } from './support/openssl.js';
import { NOW, appleFixture, appleFixtureDer, innerContent, syntheticToken } from './support/tokens.js';

/** An RFC 8017 §7.2.1 EME-PKCS1-v1_5 block for a 256-byte modulus. */
function emBlock(message: Buffer, psLength = 256 - 3 - message.length): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x02]), Buffer.alloc(psLength, 0xa5), Buffer.from([0x00]), message]);
}

test('EME-PKCS1-v1_5 decoding returns the key only from a well-formed block of the expected length', () => {
  const key = Buffer.alloc(16, 0x42);
  assert.deepEqual(decodePkcs1v15(emBlock(key), 16), key);
  assert.equal(decodePkcs1v15(emBlock(key), 32), null, 'wrong key length');
  const badLead = emBlock(key);
  badLead[0] = 0x01;
  assert.equal(decodePkcs1v15(badLead, 16), null, 'first octet must be 0x00');
  const badType = emBlock(key);
  badType[1] = 0x01;
  assert.equal(decodePkcs1v15(badType, 16), null, 'block type must be 0x02');
  const shortPs = Buffer.concat([
    Buffer.from([0x00, 0x02]),
    Buffer.alloc(7, 0xa5),
    Buffer.from([0x00]),
    Buffer.alloc(246, 0x42),
  ]);
  assert.equal(decodePkcs1v15(shortPs, 246), null, 'padding string must be at least 8 octets');
  assert.equal(
    decodePkcs1v15(Buffer.concat([Buffer.from([0x00, 0x02]), Buffer.alloc(254, 0xa5)]), 0),
    null,
    'no separator',
  );
});

const fixtureCandidates = [
  { id: 'fixture', privateKeyPem: appleFixture.privateKeyPem, certificatePem: appleFixture.certificatePem },
];

test('a recipient whose issuer name was re-encoded (UTF8String for PrintableString, other case) still matches our certificate', () => {
  // openssl asn1parse: the recipient's issuer PrintableStrings sit at offsets 44, 57 and 86.
  const der = appleFixtureDer();
  for (const at of [44, 57, 86]) {
    assert.equal(der[at], 0x13);
    der[at] = 0x0c;
  }
  der.write('de', 46, 'latin1'); // C=DE → C=de
  const { token } = decryptServerToken(der, fixtureCandidates, new Date('2025-06-01T00:00:00Z'));
  assert.deepEqual(token, appleFixture.expected);
});

let scratch: Awaited<ReturnType<typeof scratchDir>>;
before(async () => {
  scratch = await scratchDir();
});
after(() => scratch.remove());

test('a token for an X.509 v1 certificate without extensions (openssl x509 -req) decrypts', async () => {
  const key = join(scratch.path, 'v1.key');
  const csr = join(scratch.path, 'v1.csr');
  const cert = join(scratch.path, 'v1.crt');
  await openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-subj',
    '/CN=v1 recipient',
    '-out',
    csr,
  ]);
  await openssl(['x509', '-req', '-in', csr, '-signkey', key, '-days', '30', '-out', cert]);
  const candidates = [
    { id: 'v1', privateKeyPem: await readFile(key, 'utf8'), certificatePem: await readFile(cert, 'utf8') },
  ];
  const der = await encryptWithOpenssl(scratch.path, cert, innerContent({ mimeHeader: true, armour: true }), {
    tool: 'cms',
    stream: false,
    outform: 'DER',
    cipher: '-aes256',
    transport: 'pkcs1',
  });
  assert.deepEqual(decryptServerToken(appleSmime(der), candidates, NOW).token, syntheticToken);
});
