// The SCEP codec checked against OpenSSL, an implementation of PKCS#10 and CMS this project
// did not write: requests OpenSSL makes are read, and what Orchard writes OpenSSL reads.
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Identity, issueCertificate } from '../../../src/mdm/pki/identity.js';
import { buildPkcsReq } from '../../../src/mdm/scep/client.js';
import { readCertificationRequest } from '../../../src/mdm/scep/csr.js';
import { certificatesOnly } from '../../../src/mdm/scep/degenerate.js';
import { envelopeKey, openScepEnvelope, sealEnvelope } from '../../../src/mdm/scep/envelope.js';
import { ScepError } from '../../../src/mdm/scep/errors.js';
import { buildCertRep, decodePkiMessage, prepareCa } from '../../../src/mdm/scep/message.js';
import { openssl, scratchDir, testAuthority } from './support.js';

const NOW = new Date();

describe('SCEP codec and OpenSSL', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let ca: Identity;
  let caCert: string;
  let caKey: string;
  let file: (name: string) => string;

  before(async () => {
    scratch = await scratchDir();
    file = (name) => join(scratch.path, name);
    ca = (await testAuthority(NOW)).caIdentity;
    caCert = file('ca.pem');
    caKey = file('ca.key');
    await writeFile(caCert, ca.certificatePem);
    await writeFile(caKey, ca.privateKeyPem);
  });
  after(() => scratch.remove());

  async function opensslCsr(
    name: string,
    o: { newkey: string[]; challenge?: string; utf8?: boolean },
  ): Promise<Buffer> {
    const config = [
      '[req]',
      'distinguished_name = dn',
      'attributes = attrs',
      'prompt = no',
      ...(o.utf8 === true ? ['string_mask = utf8only'] : []),
      '[dn]',
      'C = DE',
      'O = Orchard Tests',
      'CN = Device F2LXJ0ABCD12',
      '[attrs]',
      ...(o.challenge === undefined ? [] : [`challengePassword = ${o.challenge}`]),
    ].join('\n');
    await writeFile(file(`${name}.cnf`), config);
    await openssl([
      'req',
      '-new',
      ...(o.utf8 === true ? ['-utf8'] : []),
      ...o.newkey,
      '-nodes',
      '-keyout',
      file(`${name}.key`),
      '-config',
      file(`${name}.cnf`),
      '-outform',
      'DER',
      '-out',
      file(`${name}.csr`),
    ]);
    return readFile(file(`${name}.csr`));
  }

  test('a CSR OpenSSL makes with a challengePassword is read with its subject, public key and challenge', async () => {
    const der = await opensslCsr('rsa', { newkey: ['-newkey', 'rsa:2048'], challenge: 'Gr33n-Orchard' });
    const csr = readCertificationRequest(der);
    assert.equal(csr.challengePassword, 'Gr33n-Orchard');
    assert.deepEqual(csr.subject, [
      ['C', 'DE'],
      ['O', 'Orchard Tests'],
      ['CN', 'Device F2LXJ0ABCD12'],
    ]);
    const expectedKey = createPublicKey(createPrivateKey(await readFile(file('rsa.key')))).export({
      type: 'spki',
      format: 'der',
    });
    assert.ok(csr.publicKey.export({ type: 'spki', format: 'der' }).equals(expectedKey));
    assert.ok(csr.der.equals(der));
  });

  test('a UTF8String challenge and an ECDSA P-256 CSR are read; a CSR without a challenge has null', async () => {
    const utf8 = readCertificationRequest(
      await opensslCsr('utf8', { newkey: ['-newkey', 'rsa:2048'], challenge: 'Grüne-Äpfel', utf8: true }),
    );
    assert.equal(utf8.challengePassword, 'Grüne-Äpfel');
    const ec = readCertificationRequest(
      await opensslCsr('ec', {
        newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
        challenge: 'ec-challenge',
      }),
    );
    assert.equal(ec.publicKey.asymmetricKeyType, 'ec');
    assert.equal(ec.challengePassword, 'ec-challenge');
    const none = readCertificationRequest(await opensslCsr('none', { newkey: ['-newkey', 'rsa:2048'] }));
    assert.equal(none.challengePassword, null);
  });

  test('a CSR whose signature or signed content was changed is refused with SCEP_BAD_SIGNATURE', async () => {
    const der = await opensslCsr('tamper', { newkey: ['-newkey', 'rsa:2048'], challenge: 'tamper-me' });
    const lastByte = Buffer.from(der);
    lastByte[lastByte.length - 1] = (lastByte[lastByte.length - 1] ?? 0) ^ 0x01;
    const challengeByte = Buffer.from(der);
    const at = challengeByte.indexOf(Buffer.from('tamper-me'));
    challengeByte[at] = 'T'.charCodeAt(0);
    for (const changed of [lastByte, challengeByte]) {
      assert.throws(
        () => readCertificationRequest(changed),
        (error: unknown) => error instanceof ScepError && error.code === 'SCEP_BAD_SIGNATURE',
      );
    }
  });

  test('envelopes OpenSSL encrypts to the CA open with AES-128/192/256-CBC, DES-EDE3-CBC and (scepclient’s) DES-CBC', async () => {
    const content = Buffer.from('a PKCS#10 request stands here'.repeat(20));
    await writeFile(file('content.bin'), content);
    const key = envelopeKey(ca);
    for (const cipher of ['-aes128', '-aes192', '-aes256', '-des3', '-des']) {
      const legacy = cipher === '-des' ? ['-provider', 'legacy', '-provider', 'default'] : [];
      const out = file(`env${cipher}.der`);
      await openssl([
        'cms',
        '-encrypt',
        cipher,
        ...legacy,
        '-binary',
        '-outform',
        'DER',
        '-in',
        file('content.bin'),
        '-out',
        out,
        caCert,
      ]);
      assert.ok(openScepEnvelope(await readFile(out), key).equals(content), cipher);
    }
  });

  test('an envelope for another recipient is refused with SCEP_ENVELOPE', async () => {
    const other = (await testAuthority(NOW)).caIdentity;
    const sealed = sealEnvelope(Buffer.from('secret'), new X509Certificate(other.certificatePem));
    assert.throws(
      () => openScepEnvelope(sealed, envelopeKey(ca)),
      (error: unknown) => error instanceof ScepError && error.code === 'SCEP_ENVELOPE',
    );
  });

  test('an envelope Orchard seals opens with openssl cms -decrypt for a key pair OpenSSL made', async () => {
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=Requester',
      '-keyout',
      file('r.key'),
      '-out',
      file('r.pem'),
    ]);
    const content = Buffer.from('the issued certificate goes here');
    await writeFile(file('sealed.der'), sealEnvelope(content, new X509Certificate(await readFile(file('r.pem')))));
    const opened = await openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      file('sealed.der'),
      '-inkey',
      file('r.key'),
      '-recip',
      file('r.pem'),
    ]);
    assert.ok(opened.equals(content));
  });

  test('a PKCSReq from Orchard’s client verifies with openssl cms, and its envelope decrypts with the CA key to a CSR openssl req verifies', async () => {
    const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const request = await buildPkcsReq({
      challenge: 'openssl-sees-this',
      subject: [['CN', 'Device 7']],
      keyPair,
      caCertificatePem: ca.certificatePem,
      now: NOW,
    });
    await writeFile(file('req.der'), request.message);
    // -noverify: the signer is a throwaway self-signed certificate; the signature itself is checked.
    await openssl([
      'cms',
      '-verify',
      '-noverify',
      '-inform',
      'DER',
      '-in',
      file('req.der'),
      '-binary',
      '-out',
      file('req-env.der'),
    ]);
    await openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      file('req-env.der'),
      '-inkey',
      caKey,
      '-recip',
      caCert,
      '-out',
      file('req.csr'),
    ]);
    const text = (
      await openssl(['req', '-inform', 'DER', '-in', file('req.csr'), '-verify', '-noout', '-text'])
    ).toString();
    assert.match(text, /challengePassword\s*:\s*openssl-sees-this/);
    assert.match(text, /CN ?= ?Device 7/);
  });

  test('a SUCCESS CertRep verifies with openssl cms against the CA, and its envelope holds a certificates-only bag with the issued certificate', async () => {
    const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const request = await buildPkcsReq({
      challenge: 'c',
      subject: [['CN', 'Device 8']],
      keyPair,
      caCertificatePem: ca.certificatePem,
      now: NOW,
    });
    const scepCa = prepareCa(ca);
    const decoded = await decodePkiMessage(request.message, scepCa, NOW);
    assert.equal(decoded.kind, 'request');
    const issued = await issueCertificate({
      issuer: ca,
      subject: [['CN', 'Device 8']],
      publicKey: keyPair.publicKey,
      now: NOW,
      validityDays: 365,
      profile: 'client-identity',
    });
    const certRep = await buildCertRep({
      header: decoded.header,
      ca: scepCa,
      result: { status: 'SUCCESS', certificateDer: issued.certificateDer },
      now: NOW,
    });
    await writeFile(file('rep.der'), certRep);
    await writeFile(file('signer.pem'), request.signerIdentity.certificatePem);
    await writeFile(file('signer.key'), request.signerIdentity.privateKeyPem);

    const verified = await openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      file('rep.der'),
      '-CAfile',
      caCert,
      '-purpose',
      'any',
      '-binary',
      '-out',
      file('rep-env.der'),
    ]);
    assert.equal(verified.length, 0);
    await openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      file('rep-env.der'),
      '-inkey',
      file('signer.key'),
      '-recip',
      file('signer.pem'),
      '-out',
      file('bag.der'),
    ]);
    const printed = (await openssl(['pkcs7', '-inform', 'DER', '-in', file('bag.der'), '-print_certs'])).toString();
    assert.ok(printed.includes(issued.certificatePem.trim().split('\n')[1] ?? 'missing'));
    const printedAttributes = (
      await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file('rep.der')])
    ).toString();
    assert.match(printedAttributes, /2\.16\.840\.1\.113733\.1\.9\.3/); // pkiStatus
    assert.match(printedAttributes, /2\.16\.840\.1\.113733\.1\.9\.6/); // recipientNonce
  });

  test('a certificates-only bag lists its certificates in openssl pkcs7 -print_certs', async () => {
    const der = new X509Certificate(ca.certificatePem).raw;
    await writeFile(file('bag-only.der'), certificatesOnly([der]));
    const printed = (
      await openssl(['pkcs7', '-inform', 'DER', '-in', file('bag-only.der'), '-print_certs', '-noout'])
    ).toString();
    assert.match(printed, /subject=.*Orchard Test Device CA/);
  });
});
