// Garbage of every kind sent to PKIOperation by POST and by GET: random bytes, cut-off and
// bit-flipped real messages, and well-signed messages with garbage inside. Every answer is a
// 400 or a signed CertRep FAILURE; never a 5xx, never a certificate.
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { signData } from '../../../src/mdm/pki/cms-sign.js';
import { MESSAGE_TYPE, SCEP_OID, octetsValue, printableValue, readString } from '../../../src/mdm/scep/attributes.js';
import { buildPkcsReq } from '../../../src/mdm/scep/client.js';
import { sealEnvelope } from '../../../src/mdm/scep/envelope.js';
import { verifyPkiMessage } from '../../../src/mdm/scep/message.js';
import { type ScepServer, type TestAuthority, startScepServer, testAuthority } from './support.js';

/** mulberry32: the same garbage on every run, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PKIOperation with garbage', () => {
  let authority: TestAuthority;
  let server: ScepServer;
  let valid: Buffer;
  const random = prng(0x5ce9);
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

  before(async () => {
    authority = await testAuthority();
    server = await startScepServer(authority);
    // A real request whose challenge was never handed out: nothing derived from it may succeed.
    const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    valid = (
      await buildPkcsReq({
        challenge: 'never-valid',
        subject: [['CN', 'fuzz']],
        keyPair,
        caCertificatePem: authority.caIdentity.certificatePem,
        now: new Date(),
      })
    ).message;
  });
  after(() => server.close());

  async function send(message: Buffer, transport: 'POST' | 'GET'): Promise<{ status: number; kind: string }> {
    const response =
      transport === 'POST'
        ? await fetch(`${server.url}?operation=PKIOperation`, { method: 'POST', body: message })
        : await fetch(`${server.url}?operation=PKIOperation&message=${encodeURIComponent(message.toString('base64'))}`);
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status === 400) {
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      return { status: 400, kind: 'unreadable' };
    }
    assert.equal(response.status, 200, `unexpected HTTP ${response.status}: ${body.toString().slice(0, 200)}`);
    assert.equal(response.headers.get('content-type'), 'application/x-pki-message');
    // A CertRep signed by the CA, FAILURE, carrying no content (so no certificate).
    const signed = await verifyPkiMessage(body, { contentMayBeAbsent: true });
    assert.ok(signed.signer.raw.equals(new X509Certificate(authority.caIdentity.certificatePem).raw));
    assert.equal(readString(signed.signedAttributes, SCEP_OID.messageType, 'messageType'), MESSAGE_TYPE.CertRep);
    assert.equal(readString(signed.signedAttributes, SCEP_OID.pkiStatus, 'pkiStatus'), '2');
    assert.equal(signed.content.length, 0);
    return { status: 200, kind: readString(signed.signedAttributes, SCEP_OID.failInfo, 'failInfo') };
  }

  async function sendAll(cases: readonly Buffer[]): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    for (const [i, message] of cases.entries()) {
      // Every case by POST; every other one by GET too (URL length keeps GET to real sizes).
      const transports = i % 2 === 0 ? (['POST', 'GET'] as const) : (['POST'] as const);
      for (const transport of transports) {
        const { status, kind } = await send(message, transport);
        const key = `${status} ${kind}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    assert.equal(authority.issued.length, 0, 'a certificate was issued from garbage');
    return seen;
  }

  test('the unchanged message is answered FAILURE badRequest (its challenge was never valid)', async () => {
    assert.deepEqual(await send(valid, 'POST'), { status: 200, kind: '2' });
    assert.equal(authority.requests.length, 1);
  });

  test('random bytes, empty bodies and nesting bombs answer 400; a body over the limit 413', async () => {
    const cases = [
      Buffer.alloc(0),
      Buffer.from('hello'),
      Buffer.alloc(5000, 0x30),
      Buffer.concat(Array.from({ length: 2000 }, () => Buffer.from([0x30, 0x80]))),
      ...Array.from({ length: 80 }, () => bytes(1 + int(3000))),
      ...Array.from({ length: 40 }, () => Buffer.concat([Buffer.from([0x30, 0x82, 0x09, 0xc4]), bytes(int(2500))])),
    ];
    const seen = await sendAll(cases);
    assert.deepEqual([...seen.keys()], ['400 unreadable']);
    const tooLarge = await fetch(`${server.url}?operation=PKIOperation`, { method: 'POST', body: bytes(100_000) });
    assert.equal(tooLarge.status, 413);
  });

  test('a real message cut off anywhere answers 400', async () => {
    const cuts = Array.from({ length: 60 }, (_, i) => Math.floor((valid.length * i) / 60));
    await sendAll(cuts.map((n) => valid.subarray(0, n)));
  });

  test('a real message with single bits flipped answers 400 or FAILURE', async () => {
    const cases = Array.from({ length: 250 }, () => {
      const copy = Buffer.from(valid);
      const at = int(copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 << int(8));
      return copy;
    });
    const seen = await sendAll(cases);
    assert.ok((seen.get('400 unreadable') ?? 0) > 0);
  });

  test('a real message with a run of bytes overwritten answers 400 or FAILURE', async () => {
    const cases = Array.from({ length: 80 }, () => {
      const copy = Buffer.from(valid);
      const at = int(copy.length);
      bytes(1 + int(32)).copy(copy, at);
      return copy;
    });
    await sendAll(cases);
  });

  test('a well-signed request with garbage inside (random content, a foreign envelope, no CSR, an unserved messageType) is answered FAILURE', async () => {
    const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { signerIdentity } = await buildPkcsReq({
      challenge: 'x',
      subject: [['CN', 'fuzz']],
      keyPair,
      caCertificatePem: authority.caIdentity.certificatePem,
      now: new Date(),
    });
    const ca = new X509Certificate(authority.caIdentity.certificatePem);
    const other = new X509Certificate(signerIdentity.certificatePem);
    const sign = (content: Buffer, messageType: string = MESSAGE_TYPE.PKCSReq) =>
      signData({
        content,
        signer: signerIdentity,
        detached: false,
        now: new Date(),
        extraSignedAttributes: [
          { oid: SCEP_OID.messageType, values: [printableValue(messageType)] },
          { oid: SCEP_OID.transactionId, values: [printableValue('FUZZ')] },
          { oid: SCEP_OID.senderNonce, values: [octetsValue(bytes(16))] },
        ],
      });
    // failInfo 1 = badMessageCheck, 2 = badRequest (RFC 8894 §3.2.1.4).
    const cases: Array<[string, Buffer, string]> = [
      ['random content', await sign(bytes(500)), '200 1'],
      ['an envelope holding no CSR', await sign(sealEnvelope(Buffer.from('not a CSR'), ca)), '200 2'],
      ['an envelope holding random bytes', await sign(sealEnvelope(bytes(900), ca)), '200 2'],
      ['an envelope for someone else', await sign(sealEnvelope(Buffer.from('for someone else'), other)), '200 1'],
      ['GetCRL', await sign(sealEnvelope(Buffer.from('x'), ca), MESSAGE_TYPE.GetCRL), '200 2'],
      ['messageType 99', await sign(sealEnvelope(Buffer.from('x'), ca), '99'), '200 2'],
    ];
    for (const [name, message, expected] of cases) {
      for (const transport of ['POST', 'GET'] as const) {
        const { status, kind } = await send(message, transport);
        assert.equal(`${status} ${kind}`, expected, `${name} by ${transport}`);
      }
    }
    assert.equal(authority.issued.length, 0);
  });
});
