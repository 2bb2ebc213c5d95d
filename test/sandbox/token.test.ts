// The server token the sandbox's portal hands out must be indistinguishable in format from the
// one Apple Business Manager issued (test/fixtures/apple-issued-token): checked with Orchard's
// own decryption code and, independently, with the OpenSSL CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decryptServerToken } from '../../src/apple/token-file.js';
import { TokenWrongKeyError } from '../../src/apple/errors.js';
import { generateTokenKeyPair } from '../../src/apple/pki.js';
import { appleFixture } from '../apple/support/tokens.js';
import {
  DAY_MS,
  createServer,
  downloadToken,
  portal,
  runOpenssl,
  startSandbox,
  tempDataDir,
  type Sandbox,
} from './support.js';

const fixtureFile = () => appleFixture.file;

/** `openssl asn1parse -i` lines reduced to depth, definite/indefinite and type. */
function skeleton(asn1parse: string): string[] {
  return (
    asn1parse
      .split('\n')
      .map((line) => /^\s*\d+:d=(\d+)\s+hl=\s*\d+\s+l=\s*(\w+)\s+(cons|prim):\s*(.*?)\s*$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, depth, length, form, type]) => ({
        depth: Number(depth),
        text: `${depth} ${length === 'inf' ? 'inf' : 'def'} ${form} ${(type ?? '').replace(/\s*\[HEX DUMP\].*$/, '').replace(/:[0-9A-F]+$/, (m) => (m === ':00' ? m : ''))}`,
      }))
      // The issuer Name's RDNs (depth 7 and deeper) differ between certificates; the rest must not.
      .filter((line) => line.depth < 7)
      .map((line) => line.text)
  );
}

function base64Body(file: Buffer): Buffer {
  const text = file.toString('ascii');
  return Buffer.from(text.slice(text.indexOf('\n\n') + 2).replace(/\n/g, ''), 'base64');
}

describe('server token download', () => {
  let sandbox: Sandbox;
  let scratch: string;
  let serverId: string;
  let keyPair: Awaited<ReturnType<typeof generateTokenKeyPair>>;
  let file: Buffer;
  let headers: Record<string, unknown>;

  before(async () => {
    sandbox = await startSandbox();
    scratch = tempDataDir();
    keyPair = await generateTokenKeyPair({
      commonName: 'Orchard ABM token — Acme / Main Office',
      organization: 'Orchard',
      now: new Date(),
    });
    ({ id: serverId } = await createServer(sandbox, 'RMM Server 1', keyPair));
    ({ file, headers } = await downloadToken(sandbox, serverId));
    fs.writeFileSync(path.join(scratch, 'token.p7m'), file);
    fs.writeFileSync(path.join(scratch, 'key.pem'), keyPair.privateKeyPem);
    fs.writeFileSync(path.join(scratch, 'cert.pem'), keyPair.certificatePem);
  });
  after(async () => {
    await sandbox.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test("decrypts with Orchard's decryptServerToken into credentials in Apple's shapes, valid for one year", () => {
    const now = sandbox.clock.now();
    const { token } = decryptServerToken(file, [{ id: 'ours', ...keyPair }], now);
    assert.match(token.consumerKey, /^CK_[0-9a-f]{96}$/);
    assert.match(token.consumerSecret, /^CS_[0-9a-f]{40}$/);
    assert.match(token.accessSecret, /^AS_[0-9a-f]{40}$/);
    const at = /^AT_O(\d+)O([0-9a-f]{40})O(\d{13})$/.exec(token.accessToken);
    assert.ok(at, token.accessToken);
    assert.equal(Number(at[3]), now.getTime(), 'the access token ends with the issue time in ms');
    assert.equal(token.accessTokenExpiry?.toISOString(), '2027-06-01T12:00:00.000Z');
  });

  test("carries Apple's four S/MIME headers, a blank line and base64 at 76 columns with LF", () => {
    const text = file.toString('ascii');
    const fixtureHead = fixtureFile().toString('ascii').split('\n').slice(0, 5);
    assert.deepEqual(text.split('\n').slice(0, 5), fixtureHead);
    assert.ok(!text.includes('\r'), 'no CR anywhere');
    const lines = text.split('\n').slice(5);
    assert.equal(lines.at(-1), '', 'ends with a newline');
    const body = lines.slice(0, -1);
    assert.ok(body.slice(0, -1).every((line) => line.length === 76));
    assert.ok((body.at(-1)?.length ?? 0) <= 76);
    assert.ok(body.every((line) => /^[A-Za-z0-9+/=]+$/.test(line)));
  });

  test('is offered as a download named like ABM does: <server name>_Token_<time>_smime.p7m', () => {
    assert.equal(
      headers['content-disposition'],
      'attachment; filename="RMM Server 1_Token_2026-06-01T12-00-00Z_smime.p7m"; filename*=UTF-8\'\'RMM%20Server%201_Token_2026-06-01T12-00-00Z_smime.p7m',
    );
    assert.match(String(headers['content-type']), /^application\/pkcs7-mime/);
  });

  test("openssl smime -decrypt opens it and finds Apple's MIME part with the armoured JSON", async () => {
    const content = (
      await runOpenssl([
        'smime',
        '-decrypt',
        '-in',
        path.join(scratch, 'token.p7m'),
        '-inkey',
        path.join(scratch, 'key.pem'),
        '-recip',
        path.join(scratch, 'cert.pem'),
      ])
    ).toString('utf8');
    const match =
      /^Content-Type: text\/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\n(\{.*\})\n-----END MESSAGE-----\n$/.exec(
        content,
      );
    assert.ok(match, JSON.stringify(content));
    const json = JSON.parse(match[1] ?? '') as Record<string, string>;
    assert.deepEqual(Object.keys(json), [
      'consumer_key',
      'consumer_secret',
      'access_token',
      'access_secret',
      'access_token_expiry',
    ]);
    assert.equal(json['access_token_expiry'], '2027-06-01T12:00:00Z');
  });

  test("openssl asn1parse shows the same BER skeleton as Apple's token: indefinite lengths, issuer+serial recipient, rsaEncryption, aes-128-cbc", async () => {
    const ours = (await runOpenssl(['asn1parse', '-inform', 'DER', '-i'], base64Body(file))).toString('utf8');
    const apple = (await runOpenssl(['asn1parse', '-inform', 'DER', '-i'], base64Body(fixtureFile()))).toString('utf8');
    assert.deepEqual(skeleton(ours), skeleton(apple));
    assert.equal(
      (ours.match(/l=inf/g) ?? []).length,
      5,
      'ContentInfo, [0], EnvelopedData, EncryptedContentInfo and the content [0] are indefinite',
    );
    assert.match(ours, /OBJECT\s+:pkcs7-envelopedData/);
    assert.match(ours, /OBJECT\s+:rsaEncryption/);
    assert.match(ours, /OBJECT\s+:aes-128-cbc/);
    // The recipient is named by the uploaded certificate's serial number.
    const serial = (await runOpenssl(['x509', '-noout', '-serial', '-in', path.join(scratch, 'cert.pem')]))
      .toString()
      .trim()
      .replace(/^serial=/, '');
    assert.match(ours, new RegExp(`INTEGER\\s+:${serial}\\b`));
  });

  test('each download issues new credentials; a replaced certificate is used from the next download on', async () => {
    const first = decryptServerToken(file, [{ id: 'k', ...keyPair }], sandbox.clock.now()).token;
    sandbox.clock.advance(DAY_MS);
    const second = decryptServerToken(
      (await downloadToken(sandbox, serverId)).file,
      [{ id: 'k', ...keyPair }],
      sandbox.clock.now(),
    ).token;
    assert.notEqual(second.accessToken, first.accessToken);
    assert.notEqual(second.consumerSecret, first.consumerSecret);

    const renewed = await generateTokenKeyPair({ commonName: 'Renewed key', now: new Date() });
    const replaced = await portal(sandbox, 'PUT', `/mdm-servers/${serverId}/certificate`, {
      publicKeyPem: renewed.certificatePem,
    });
    assert.equal(replaced.status, 200);
    const third = (await downloadToken(sandbox, serverId)).file;
    assert.throws(
      () => decryptServerToken(third, [{ id: 'old', ...keyPair }], sandbox.clock.now()),
      TokenWrongKeyError,
    );
    assert.ok(
      decryptServerToken(third, [{ id: 'new', ...renewed }], sandbox.clock.now()).token.accessToken.startsWith('AT_O'),
    );
  });
});
