// Debian's scepclient (micromdm/scep 2.1, an implementation Orchard did not write) enrolls
// against Orchard's SCEP route on a real socket, and OpenSSL checks what it got.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  SCEPCLIENT,
  type ScepServer,
  type TestAuthority,
  certificateKey,
  openssl,
  run,
  scepToolSkipReason,
  scratchDir,
  startScepServer,
  testAuthority,
} from './support.js';

describe('Debian scepclient against Orchard’s SCEP endpoint', { skip: scepToolSkipReason(SCEPCLIENT) }, () => {
  let authority: TestAuthority;
  let server: ScepServer;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let caPath: string;

  before(async () => {
    authority = await testAuthority();
    server = await startScepServer(authority);
    scratch = await scratchDir();
    caPath = join(scratch.path, 'ca.pem');
    await writeFile(caPath, authority.caIdentity.certificatePem);
  });
  after(async () => {
    await server.close();
    await scratch.remove();
  });

  /** scepclient in a directory of its own: it writes key.pem, csr.pem, self.pem and client.pem there. */
  async function scepclient(name: string, challenge: string | null, extra: readonly string[] = []) {
    const dir = join(scratch.path, name);
    await mkdir(dir, { recursive: true });
    const args = ['-server-url', server.url, '-private-key', join(dir, 'key.pem'), '-cn', `device-${name}`, ...extra];
    if (challenge !== null) args.push('-challenge', challenge);
    const result = await run(SCEPCLIENT, args, { cwd: dir });
    return { ...result, dir, certificatePath: join(dir, 'client.pem') };
  }

  test('a valid challenge gets scepclient a certificate that OpenSSL verifies against the CA and that holds the key of its CSR', async () => {
    authority.addChallenge('first-challenge');
    const result = await scepclient('valid', 'first-challenge');
    assert.equal(result.code, 0, `scepclient failed: ${result.stdout}${result.stderr}`);

    const verified = await openssl(['verify', '-CAfile', caPath, result.certificatePath]);
    assert.match(verified.toString(), /client\.pem: OK/);

    const certificatePem = await readFile(result.certificatePath, 'utf8');
    const csrKey = await openssl(['req', '-in', join(result.dir, 'csr.pem'), '-pubkey', '-noout']);
    const keyFileKey = await openssl(['pkey', '-in', join(result.dir, 'key.pem'), '-pubout']);
    const certKey = await openssl(['x509', '-in', result.certificatePath, '-pubkey', '-noout']);
    assert.equal(certKey.toString(), csrKey.toString());
    assert.equal(certKey.toString(), keyFileKey.toString());

    const subject = (await openssl(['x509', '-in', result.certificatePath, '-noout', '-subject'])).toString();
    assert.match(subject, /CN ?= ?device-valid/);
    assert.equal(authority.issued.length, 1);
    assert.deepEqual(certificateKey(certificatePem), certificateKey(authority.issued[0] ?? Buffer.alloc(0)));
    assert.equal(authority.requests.at(-1)?.messageType, 'PKCSReq');
    assert.equal(authority.requests.at(-1)?.csr.challengePassword, 'first-challenge');
  });

  test('a challenge used once is refused the second time: scepclient exits non-zero with failInfo badRequest and writes no certificate', async () => {
    authority.addChallenge('single-use');
    const first = await scepclient('once', 'single-use');
    assert.equal(first.code, 0, `scepclient failed: ${first.stdout}${first.stderr}`);
    const issuedBefore = authority.issued.length;

    const second = await scepclient('twice', 'single-use');
    assert.notEqual(second.code, 0);
    assert.match(second.stdout + second.stderr, /failInfo: badRequest/);
    assert.equal(existsSync(second.certificatePath), false);
    assert.equal(authority.issued.length, issuedBefore);
  });

  test('an unknown challenge, or none, is refused and nothing is issued', async () => {
    const issuedBefore = authority.issued.length;
    for (const [name, challenge] of [
      ['unknown', 'never-handed-out'],
      ['none', null],
    ] as const) {
      const result = await scepclient(name, challenge);
      assert.notEqual(result.code, 0, `${name}: scepclient succeeded`);
      assert.match(result.stdout + result.stderr, /failInfo: badRequest/);
      assert.equal(existsSync(result.certificatePath), false, `${name}: a certificate was written`);
    }
    assert.equal(authority.issued.length, issuedBefore);
  });

  test('scepclient renews with its issued identity (RenewalReq) and gets a new certificate for the same key', async () => {
    authority.addChallenge('renew-me');
    const first = await scepclient('renew', 'renew-me');
    assert.equal(first.code, 0, `scepclient failed: ${first.stdout}${first.stderr}`);
    const original = await readFile(first.certificatePath, 'utf8');

    // With an existing certificate scepclient sends a RenewalReq signed by it, and no challenge.
    const renewal = await scepclient('renew', null, ['-certificate', first.certificatePath]);
    assert.equal(renewal.code, 0, `renewal failed: ${renewal.stdout}${renewal.stderr}`);
    assert.equal(authority.requests.at(-1)?.messageType, 'RenewalReq');
    const renewed = await readFile(first.certificatePath, 'utf8');
    assert.notEqual(renewed, original);
    assert.deepEqual(certificateKey(renewed), certificateKey(original));
    assert.match((await openssl(['verify', '-CAfile', caPath, first.certificatePath])).toString(), /OK/);
  });
});
