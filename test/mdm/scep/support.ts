// A tiny SCEP authority for tests (a CA made with Orchard's PKI code, an in-memory set of
// single-use challenges) behind the real route on a real 127.0.0.1 listener, plus the
// external tools the tests drive: OpenSSL, and micromdm's scepclient and scepserver
// (Debian's `scep` package).
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { scepRoutes } from '../../../src/http/routes/mdm-scep.js';
import {
  type DistinguishedName,
  type Identity,
  type NameAttribute,
  createCertificateAuthority,
  issueCertificate,
} from '../../../src/mdm/pki/identity.js';
import type { ScepAuthority, ScepIssueOutcome, ScepIssueRequest } from '../../../src/mdm/scep/authority.js';

export const SCEPCLIENT = '/usr/bin/scepclient';
export const SCEPSERVER = '/usr/bin/scepserver';

/** Like the PostgreSQL and browser suites: with CI=true a missing tool fails instead of skipping. */
export function scepToolSkipReason(path: string): string | undefined {
  if (process.env['CI'] === 'true') return undefined;
  return fs.existsSync(path) ? undefined : `no ${path} (apt-get install -y scep)`;
}

export interface TestAuthority extends ScepAuthority {
  readonly caIdentity: Identity;
  /** Every request the authority was asked to decide, in order. */
  readonly requests: ScepIssueRequest[];
  /** Every certificate it issued (DER), in order. */
  readonly issued: Buffer[];
  addChallenge(challenge: string): void;
}

const NAME_ATTRIBUTES: ReadonlySet<string> = new Set<NameAttribute>(['CN', 'O', 'OU', 'C', 'L', 'ST', 'serialNumber']);

/**
 * PKCSReq: issues once per challenge. RenewalReq: issues when the signer is a certificate this
 * authority issued. Everything else is refused with badRequest.
 */
export async function testAuthority(now: Date = new Date()): Promise<TestAuthority> {
  const caIdentity = await createCertificateAuthority({
    subject: [
      ['CN', 'Orchard Test Device CA'],
      ['O', 'Orchard Tests'],
    ],
    now,
    validityDays: 30,
  });
  const challenges = new Set<string>();
  const requests: ScepIssueRequest[] = [];
  const issued: Buffer[] = [];
  const issue = async (request: ScepIssueRequest): Promise<ScepIssueOutcome> => {
    requests.push(request);
    if (request.messageType === 'PKCSReq') {
      const challenge = request.csr.challengePassword;
      if (challenge === null || !challenges.delete(challenge)) {
        return { ok: false, failInfo: 'badRequest', reason: 'unknown or used challenge' };
      }
    } else if (!issued.some((der) => der.equals(request.signer.raw))) {
      return { ok: false, failInfo: 'badCertId', reason: 'the renewing identity was not issued here' };
    }
    const subject = request.csr.subject.filter(([name]) => NAME_ATTRIBUTES.has(name)) as DistinguishedName;
    const certificate = await issueCertificate({
      issuer: caIdentity,
      subject: subject.length > 0 ? subject : [['CN', 'device']],
      publicKey: request.csr.publicKey,
      now,
      validityDays: 365,
      profile: 'client-identity',
    });
    issued.push(certificate.certificateDer);
    return { ok: true, certificateDer: certificate.certificateDer };
  };
  return {
    caIdentity,
    requests,
    issued,
    addChallenge: (challenge) => challenges.add(challenge),
    ca: async () => caIdentity,
    issue,
  };
}

export interface ScepServer {
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>/mdm/scep` */
  readonly url: string;
  close(): Promise<void>;
}

export async function startScepServer(authority: ScepAuthority): Promise<ScepServer> {
  const app = Fastify({ logger: false });
  await app.register(scepRoutes, { prefix: '/mdm/scep', authority });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}/mdm/scep`, close: () => app.close() };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; a non-zero exit is a result, not an exception. */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; input?: Buffer; timeoutMs?: number } = {},
): Promise<RunResult & { stdoutBytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, encoding: 'buffer', timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        if (error !== null && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString(), stdoutBytes: stdout });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

export async function openssl(
  args: readonly string[],
  options: { cwd?: string; input?: Buffer } = {},
): Promise<Buffer> {
  const result = await run('openssl', args, options);
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdoutBytes;
}

export async function scratchDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'orchard-scep-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address !== null && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The SubjectPublicKeyInfo DER of a certificate's key, for comparing keys. */
export function certificateKey(der: Buffer | string): Buffer {
  return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
}
