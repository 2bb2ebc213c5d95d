// Orchard's own SCEP client (the device simulator's) against Orchard's SCEP route on a real
// socket: both transports, success and refusal, renewal, and the checks a device makes on
// the answer.
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Identity, certificatePem } from '../../../src/mdm/pki/identity.js';
import { type BuiltScepRequest, buildPkcsReq, buildRenewalReq, readCertRep } from '../../../src/mdm/scep/client.js';
import { ScepError } from '../../../src/mdm/scep/errors.js';
import { type ScepServer, type TestAuthority, certificateKey, startScepServer, testAuthority } from './support.js';

const SUBJECT = [
  ['CN', 'iPhone 15 (F2LXJ0ABCD12)'],
  ['O', 'Orchard Tests'],
] as const;

function rsaKeyPair() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

describe('Orchard’s SCEP client against Orchard’s SCEP endpoint', () => {
  let authority: TestAuthority;
  let server: ScepServer;
  let caPem: string;

  before(async () => {
    authority = await testAuthority();
    server = await startScepServer(authority);
    caPem = authority.caIdentity.certificatePem;
  });
  after(() => server.close());

  async function post(message: Buffer): Promise<Response> {
    return fetch(`${server.url}?operation=PKIOperation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-pki-message' },
      body: message,
    });
  }

  async function certRep(response: Response): Promise<Buffer> {
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'application/x-pki-message');
    return Buffer.from(await response.arrayBuffer());
  }

  async function read(body: Buffer, request: BuiltScepRequest, keyPair: ReturnType<typeof rsaKeyPair>) {
    return readCertRep(body, {
      requesterPrivateKey: keyPair.privateKey,
      signerCertificate: request.signerIdentity.certificatePem,
      caCertificatePem: caPem,
      expected: request,
    });
  }

  async function enroll(challenge: string): Promise<{ identity: Identity; keyPair: ReturnType<typeof rsaKeyPair> }> {
    authority.addChallenge(challenge);
    const keyPair = rsaKeyPair();
    const request = await buildPkcsReq({
      challenge,
      subject: SUBJECT,
      keyPair,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const answer = await read(await certRep(await post(request.message)), request, keyPair);
    assert.equal(answer.status, 'SUCCESS');
    return {
      identity: {
        certificatePem: certificatePem(answer.certificateDer),
        privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      keyPair,
    };
  }

  test('GetCACaps lists AES, POSTPKIOperation, Renewal, SHA-256 and SCEPStandard as plain text', async () => {
    const response = await fetch(`${server.url}?operation=GetCACaps`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const caps = (await response.text()).split('\n').filter((line) => line !== '');
    assert.deepEqual(caps.sort(), ['AES', 'POSTPKIOperation', 'Renewal', 'SCEPStandard', 'SHA-256']);
  });

  test('GetCACert answers the CA certificate as DER, application/x-x509-ca-cert', async () => {
    const response = await fetch(`${server.url}?operation=GetCACert`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-x509-ca-cert');
    const der = Buffer.from(await response.arrayBuffer());
    assert.ok(der.equals(new X509Certificate(caPem).raw));
  });

  test('a PKCSReq POSTed with a valid challenge gets SUCCESS with a certificate for its key, issued by the CA, with the subject asked for', async () => {
    authority.addChallenge('post-challenge');
    const keyPair = rsaKeyPair();
    const request = await buildPkcsReq({
      challenge: 'post-challenge',
      subject: SUBJECT,
      keyPair,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const answer = await read(await certRep(await post(request.message)), request, keyPair);
    assert.equal(answer.status, 'SUCCESS');
    const certificate = new X509Certificate(answer.certificateDer);
    assert.ok(certificate.verify(new X509Certificate(caPem).publicKey));
    assert.ok(certificateKey(answer.certificateDer).equals(keyPair.publicKey.export({ type: 'spki', format: 'der' })));
    assert.match(certificate.subject, /CN=iPhone 15 \(F2LXJ0ABCD12\)/);

    const decided = authority.requests.at(-1);
    assert.equal(decided?.messageType, 'PKCSReq');
    assert.equal(decided?.transactionId, request.transactionId);
    assert.equal(decided?.csr.challengePassword, 'post-challenge');
    assert.deepEqual(decided?.csr.subject, SUBJECT);
  });

  test('a PKCSReq sent by GET as message=<base64> is answered the same way, also with an unescaped + in the URL', async () => {
    for (const [name, encode] of [
      ['percent-encoded', (b64: string) => encodeURIComponent(b64)],
      ['raw base64 with + and /', (b64: string) => b64],
    ] as const) {
      authority.addChallenge(`get-${name}`);
      const keyPair = rsaKeyPair();
      const request = await buildPkcsReq({
        challenge: `get-${name}`,
        subject: SUBJECT,
        keyPair,
        caCertificatePem: caPem,
        now: new Date(),
      });
      const message = encode(request.message.toString('base64'));
      const response = await fetch(`${server.url}?operation=PKIOperation&message=${message}`);
      const answer = await read(await certRep(response), request, keyPair);
      assert.equal(answer.status, 'SUCCESS', name);
    }
  });

  test('a reused challenge gets a signed CertRep FAILURE badRequest, answering our transaction, and no certificate', async () => {
    await enroll('used-challenge');
    const issuedBefore = authority.issued.length;
    const keyPair = rsaKeyPair();
    const request = await buildPkcsReq({
      challenge: 'used-challenge',
      subject: SUBJECT,
      keyPair,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const answer = await read(await certRep(await post(request.message)), request, keyPair);
    assert.deepEqual(answer, { status: 'FAILURE', failInfo: 'badRequest' });
    assert.equal(authority.issued.length, issuedBefore);
  });

  test('a RenewalReq signed by an issued identity gets a certificate for the new key, encrypted to the old one', async () => {
    const { identity, keyPair: oldKeys } = await enroll('before-renewal');
    const newKeys = rsaKeyPair();
    const request = await buildRenewalReq({
      subject: SUBJECT,
      keyPair: newKeys,
      signerIdentity: identity,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const body = await certRep(await post(request.message));
    const answer = await readCertRep(body, {
      requesterPrivateKey: oldKeys.privateKey,
      signerCertificate: identity.certificatePem,
      certifiedKey: newKeys.publicKey,
      caCertificatePem: caPem,
      expected: request,
    });
    assert.equal(answer.status, 'SUCCESS');
    assert.ok(certificateKey(answer.certificateDer).equals(newKeys.publicKey.export({ type: 'spki', format: 'der' })));
    assert.equal(authority.requests.at(-1)?.messageType, 'RenewalReq');
    assert.equal(
      authority.requests.at(-1)?.signer.fingerprint256,
      new X509Certificate(identity.certificatePem).fingerprint256,
    );
  });

  test('a RenewalReq signed by a certificate the CA did not issue is refused with badCertId before the authority is asked', async () => {
    const keyPair = rsaKeyPair();
    const selfSigned = await buildPkcsReq({
      challenge: 'x',
      subject: SUBJECT,
      keyPair,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const asked = authority.requests.length;
    const request = await buildRenewalReq({
      subject: SUBJECT,
      keyPair,
      signerIdentity: selfSigned.signerIdentity,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const answer = await read(await certRep(await post(request.message)), request, keyPair);
    assert.deepEqual(answer, { status: 'FAILURE', failInfo: 'badCertId' });
    assert.equal(authority.requests.length, asked);
  });

  test('the client refuses a CertRep that answers another request (recipientNonce, transactionID)', async () => {
    authority.addChallenge('nonce-a');
    const keyPair = rsaKeyPair();
    const first = await buildPkcsReq({
      challenge: 'nonce-a',
      subject: SUBJECT,
      keyPair,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const second = await buildPkcsReq({
      challenge: 'nonce-a',
      subject: SUBJECT,
      keyPair,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const body = await certRep(await post(first.message));
    await assert.rejects(read(body, second, keyPair), (error: unknown) => {
      assert.ok(error instanceof ScepError);
      assert.equal(error.code, 'SCEP_MISMATCH');
      return true;
    });
    await assert.rejects(
      read(body, { ...first, transactionId: 'ANOTHER' }, keyPair),
      (error: unknown) => error instanceof ScepError && error.code === 'SCEP_MISMATCH',
    );
  });

  test('the client refuses a CertRep signed by a CA other than the one it enrolls with', async () => {
    const other = await testAuthority();
    other.addChallenge('elsewhere');
    const otherServer = await startScepServer(other);
    try {
      const keyPair = rsaKeyPair();
      // Encrypted to the other CA so that it answers; read as if from ours.
      const request = await buildPkcsReq({
        challenge: 'elsewhere',
        subject: SUBJECT,
        keyPair,
        caCertificatePem: other.caIdentity.certificatePem,
        now: new Date(),
      });
      const response = await fetch(`${otherServer.url}?operation=PKIOperation`, {
        method: 'POST',
        body: request.message,
      });
      const body = await certRep(response);
      await assert.rejects(
        read(body, request, keyPair),
        (error: unknown) => error instanceof ScepError && error.code === 'SCEP_MISMATCH',
      );
    } finally {
      await otherServer.close();
    }
  });

  test('an unknown operation, a GET without a message and a POST of another operation answer 400 in plain text', async () => {
    for (const [method, query] of [
      ['GET', 'operation=GetNextCACert'],
      ['GET', ''],
      ['GET', 'operation=PKIOperation'],
      ['GET', 'operation=PKIOperation&message=%00%01'],
      ['POST', 'operation=GetCACaps'],
    ] as const) {
      const response = await fetch(`${server.url}?${query}`, { method, ...(method === 'POST' ? { body: 'x' } : {}) });
      assert.equal(response.status, 400, `${method} ${query}`);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      assert.ok((await response.text()).length < 100);
    }
  });
});
