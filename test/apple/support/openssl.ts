// Test fixtures made by the OpenSSL CLI: an implementation of CMS, X.509 and HMAC this
// project did not write, so agreement with it means something.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPairFiles {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  readonly certificatePath: string;
}

export function openssl(
  args: readonly string[],
  options: { cwd?: string; input?: string | Buffer } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'openssl',
      args,
      { cwd: options.cwd, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`openssl ${args.join(' ')} failed: ${stderr.toString()}`, { cause: error }));
        else resolve(stdout);
      },
    );
    // openssl may exit without reading stdin (EPIPE); its exit status tells what happened.
    child.stdin?.on('error', () => undefined);
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
  });
}

/** A scratch directory for one test file; `remove` it in `after`. */
export async function scratchDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'orchard-apple-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** `openssl req -x509 -newkey rsa:2048` — a recipient key pair Orchard did not make. */
export async function opensslKeyPair(dir: string, commonName: string): Promise<KeyPairFiles> {
  const name = uniqueName('req');
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${commonName}`,
      '-days',
      '30',
    ],
    { cwd: dir },
  );
  return {
    privateKeyPem: await readFile(join(dir, `${name}.key`), 'utf8'),
    certificatePem: await readFile(join(dir, `${name}.crt`), 'utf8'),
    certificatePath: join(dir, `${name}.crt`),
  };
}

/** Writes a certificate PEM we hold in memory so OpenSSL can encrypt to it. */
export async function certificateFile(
  dir: string,
  certificatePem: string,
  privateKeyPem: string,
): Promise<KeyPairFiles> {
  const certificatePath = join(dir, `${uniqueName('cert')}.crt`);
  await writeFile(certificatePath, certificatePem);
  return { privateKeyPem, certificatePem, certificatePath };
}

export type Cipher = '-aes128' | '-aes192' | '-aes256' | '-des3';
export type KeyTransport = 'pkcs1' | 'oaep' | 'oaep-sha256';
export type OutForm = 'SMIME' | 'PEM' | 'DER';

export interface EncryptOptions {
  readonly tool: 'smime' | 'cms';
  readonly stream: boolean;
  readonly outform: OutForm;
  readonly cipher: Cipher;
  readonly transport: KeyTransport;
  /** Address the recipient by subjectKeyIdentifier instead of issuer + serial (cms only). */
  readonly keyid?: boolean;
}

/** `openssl smime|cms -encrypt` of `inner` to the certificate at `certificatePath`. */
export async function encryptWithOpenssl(
  dir: string,
  certificatePath: string,
  inner: string,
  options: EncryptOptions,
): Promise<Buffer> {
  const input = join(dir, `${uniqueName('inner')}.txt`);
  await writeFile(input, inner);
  const args = [options.tool, '-encrypt', '-binary', options.cipher, '-outform', options.outform, '-in', input];
  args.push(options.stream ? '-stream' : '-noindef');
  if (options.keyid === true) args.push('-keyid');
  if (options.transport === 'pkcs1' && options.keyid !== true) {
    args.push(certificatePath);
  } else {
    // `-keyopt` applies to the preceding `-recip` (cms only).
    args.push('-recip', certificatePath);
    if (options.transport !== 'pkcs1') args.push('-keyopt', 'rsa_padding_mode:oaep');
    if (options.transport === 'oaep-sha256') args.push('-keyopt', 'rsa_oaep_md:sha256');
  }
  return openssl(args);
}

export function wrapBase64(der: Uint8Array, width: number, eol: '\n' | '\r\n'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return lines.join(eol) + eol;
}

/** The four headers Apple Business Manager puts around a `.p7m` (apple-protocols.md §1). */
export function appleSmime(der: Uint8Array, width = 76, eol: '\n' | '\r\n' = '\n'): Buffer {
  const headers = [
    'Content-Type: application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="smime.p7m"',
    'Content-Description: S/MIME Encrypted Message',
  ];
  return Buffer.from(headers.join(eol) + eol + eol + wrapBase64(der, width, eol));
}

export function pem(der: Uint8Array, label: string, width = 64, eol: '\n' | '\r\n' = '\n'): Buffer {
  return Buffer.from(`-----BEGIN ${label}-----${eol}${wrapBase64(der, width, eol)}-----END ${label}-----${eol}`);
}

export function toCrlf(text: Buffer): Buffer {
  return Buffer.from(text.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** Header offsets of every TLV in a DER/BER file, per `openssl asn1parse`. */
export async function asn1HeaderOffsets(der: Buffer): Promise<number[]> {
  const listing = (await openssl(['asn1parse', '-inform', 'DER'], { input: der })).toString();
  return [...listing.matchAll(/^\s*(\d+):d=/gm)].map((m) => Number(m[1]));
}
