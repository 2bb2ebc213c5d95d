// Orchard's SCEP client against micromdm's reference server (Debian's scepserver, code this
// project did not write): proof that the client speaks the protocol, not just Orchard's dialect.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { certificatePem } from '../../../src/mdm/pki/identity.js';
import { buildPkcsReq, readCertRep } from '../../../src/mdm/scep/client.js';
import { SCEPSERVER, certificateKey, freePort, openssl, run, scepToolSkipReason, scratchDir } from './support.js';

const CHALLENGE = 'reference-server-secret';

describe('Orchard’s SCEP client against micromdm’s scepserver', { skip: scepToolSkipReason(SCEPSERVER) }, () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let server: ChildProcess;
  let url: string;
  let caPem: string;

  before(async () => {
    scratch = await scratchDir();
    const init = await run(SCEPSERVER, ['ca', '-init', '-depot', 'depot', '-keySize', '2048'], { cwd: scratch.path });
    assert.equal(init.code, 0, init.stderr);
    const port = await freePort();
    server = spawn(SCEPSERVER, ['-depot', 'depot', '-port', String(port), '-challenge', CHALLENGE], {
      cwd: scratch.path,
      stdio: 'ignore',
    });
    url = `http://127.0.0.1:${port}/scep`;
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await fetch(`${url}?operation=GetCACaps`)).ok) break;
      } catch {
        if (attempt > 100) throw new Error('scepserver did not start');
      }
      await sleep(50);
    }
    const response = await fetch(`${url}?operation=GetCACert`);
    caPem = new X509Certificate(Buffer.from(await response.arrayBuffer())).toString();
  });
  after(async () => {
    server.kill();
    await scratch.remove();
  });

  async function enroll(challenge: string, transport: 'POST' | 'GET') {
    const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const request = await buildPkcsReq({
      challenge,
      subject: [
        // scepserver refuses a second certificate for a CN it already holds a valid one for.
        ['CN', `Orchard simulated device ${transport} ${challenge}`],
        ['O', 'Orchard Tests'],
      ],
      keyPair,
      caCertificatePem: caPem,
      now: new Date(),
    });
    const response =
      transport === 'POST'
        ? await fetch(`${url}?operation=PKIOperation`, { method: 'POST', body: request.message })
        : await fetch(
            `${url}?operation=PKIOperation&message=${encodeURIComponent(request.message.toString('base64'))}`,
          );
    assert.equal(response.status, 200);
    const answer = await readCertRep(Buffer.from(await response.arrayBuffer()), {
      requesterPrivateKey: keyPair.privateKey,
      signerCertificate: request.signerIdentity.certificatePem,
      caCertificatePem: caPem,
      expected: request,
    });
    return { answer, keyPair };
  }

  test('a PKCSReq with scepserver’s challenge, by POST and by GET, gets a certificate for our key that OpenSSL verifies against its CA', async () => {
    for (const transport of ['POST', 'GET'] as const) {
      const { answer, keyPair } = await enroll(CHALLENGE, transport);
      assert.equal(answer.status, 'SUCCESS', transport);
      assert.ok(
        certificateKey(answer.certificateDer).equals(keyPair.publicKey.export({ type: 'spki', format: 'der' })),
      );
      const path = join(scratch.path, `issued-${transport}.pem`);
      await writeFile(path, certificatePem(answer.certificateDer));
      const verified = await openssl(['verify', '-CAfile', join(scratch.path, 'depot', 'ca.pem'), path]);
      assert.match(verified.toString(), /OK/);
    }
    const depotCa = new X509Certificate(await readFile(join(scratch.path, 'depot', 'ca.pem'), 'utf8'));
    assert.equal(depotCa.fingerprint256, new X509Certificate(caPem).fingerprint256);
  });

  test('a wrong challenge reads as FAILURE badRequest', async () => {
    const { answer } = await enroll('not-the-challenge', 'POST');
    assert.deepEqual(answer, { status: 'FAILURE', failInfo: 'badRequest' });
  });
});
