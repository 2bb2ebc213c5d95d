// OpenSSL as the independent counterpart for Orchard's PKI code: keys, certificates, chains
// and CMS made (or checked) by a CMS/X.509 implementation this project did not write.
// Everything happens in a temporary directory; nothing outside it is read.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

export class OpensslFailed extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`openssl ${args.join(' ')} failed: ${stderr.trim()}`);
  }
}

export interface OpensslDir {
  readonly path: string;
  /** Absolute path of a file in the directory. */
  file(name: string): string;
  write(name: string, data: string | Uint8Array): Promise<string>;
  read(name: string): Promise<Buffer>;
  readText(name: string): Promise<string>;
  /** Runs openssl in the directory; rejects with OpensslFailed on a non-zero exit. */
  run(args: readonly string[], options?: { input?: string | Uint8Array }): Promise<Buffer>;
  remove(): Promise<void>;
}

export async function opensslDir(prefix = 'orchard-pki-'): Promise<OpensslDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  const file = (name: string) => join(path, name);
  return {
    path,
    file,
    async write(name, data) {
      await writeFile(file(name), data);
      return file(name);
    },
    read: (name) => readFile(file(name)),
    readText: (name) => readFile(file(name), 'utf8'),
    run: (args, options = {}) => runOpenssl(args, path, options.input),
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

function runOpenssl(args: readonly string[], cwd: string, input: string | Uint8Array | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      OPENSSL,
      args,
      { cwd, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new OpensslFailed(args, stderr.toString(), stdout.toString()));
        else resolve(stdout);
      },
    );
    // openssl may exit without reading stdin (EPIPE); its exit status tells what happened.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

export type OpensslKeyType = 'rsa' | 'rsa-1024' | 'ec-p256' | 'ec-p384';

/** `openssl genpkey`: writes `<name>.key` (PKCS#8 PEM) and returns its path. */
export async function opensslKey(dir: OpensslDir, name: string, type: OpensslKeyType): Promise<string> {
  const algorithm =
    type === 'rsa' || type === 'rsa-1024'
      ? ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${type === 'rsa' ? 2048 : 1024}`]
      : ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${type === 'ec-p256' ? 'P-256' : 'P-384'}`];
  await dir.run(['genpkey', ...algorithm, '-out', `${name}.key`]);
  return dir.file(`${name}.key`);
}

export interface OpensslCertificate {
  readonly name: string;
  readonly certificatePath: string;
  readonly keyPath: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface CertificateRequest {
  /** File stem: `<name>.crt`, `<name>.key`. */
  readonly name: string;
  /** OpenSSL `-subj` form, e.g. `/O=Acme/CN=Acme Root`. */
  readonly subject: string;
  readonly keyType?: OpensslKeyType;
  /** Signed by this certificate's key; self-signed when absent. */
  readonly issuer?: OpensslCertificate;
  /** basicConstraints CA:TRUE with keyCertSign; otherwise CA:FALSE with digitalSignature. */
  readonly ca: boolean;
  readonly days?: number;
  /** Leave basicConstraints out entirely (an old-style certificate). */
  readonly omitBasicConstraints?: boolean;
  /** Override the keyUsage line, e.g. `critical,keyCertSign` on a certificate that is not a CA. */
  readonly keyUsage?: string;
  /** Certificate signature digest (default sha256); `sha1` for the shape of Apple's old device CAs. */
  readonly md?: 'sha1' | 'sha256';
}

/** A certificate made by OpenSSL alone (`req -x509`, or `req -new` + `x509 -req -CA`). */
export async function opensslCertificate(dir: OpensslDir, request: CertificateRequest): Promise<OpensslCertificate> {
  const { name } = request;
  await opensslKey(dir, name, request.keyType ?? 'rsa');
  const extensions = [
    ...(request.omitBasicConstraints === true
      ? []
      : [`basicConstraints=critical,${request.ca ? 'CA:TRUE' : 'CA:FALSE'}`]),
    `keyUsage=${request.keyUsage ?? (request.ca ? 'critical,keyCertSign,cRLSign' : 'critical,digitalSignature')}`,
    'subjectKeyIdentifier=hash',
    ...(request.issuer === undefined ? [] : ['authorityKeyIdentifier=keyid']),
  ];
  // A whole config, not just an extension file: `req` in OpenSSL 3.0 has no -extfile.
  await dir.write(`${name}.cnf`, `[req]\ndistinguished_name = dn\n[dn]\n[v3]\n${extensions.join('\n')}\n`);
  const days = String(request.days ?? 3650);
  const md = `-${request.md ?? 'sha256'}`;
  if (request.issuer === undefined) {
    await dir.run([
      'req', '-x509', '-new', md, '-key', `${name}.key`, '-subj', request.subject, '-days', days,
      '-config', `${name}.cnf`, '-extensions', 'v3', '-out', `${name}.crt`,
    ]); // prettier-ignore
  } else {
    await dir.run([
      'req',
      '-new',
      '-key',
      `${name}.key`,
      '-subj',
      request.subject,
      '-config',
      `${name}.cnf`,
      '-out',
      `${name}.csr`,
    ]);
    await dir.run([
      'x509', '-req', md, '-in', `${name}.csr`, '-CA', request.issuer.certificatePath, '-CAkey', request.issuer.keyPath,
      '-CAcreateserial', '-days', days, '-extfile', `${name}.cnf`, '-extensions', 'v3', '-out', `${name}.crt`,
    ]); // prettier-ignore
  }
  return {
    name,
    certificatePath: dir.file(`${name}.crt`),
    keyPath: dir.file(`${name}.key`),
    certificatePem: await dir.readText(`${name}.crt`),
    privateKeyPem: await dir.readText(`${name}.key`),
  };
}

export interface OpensslSignOptions {
  /** `-nodetach` (content inside) when false. */
  readonly detached?: boolean;
  /** `-stream`: BER with indefinite lengths and a constructed eContent. */
  readonly stream?: boolean;
  /** `-noattr`: no signed attributes; the signature covers the content itself. */
  readonly noattr?: boolean;
  readonly md?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** `-keyid`: identify the signer by subjectKeyIdentifier. */
  readonly keyid?: boolean;
  /** `-nocerts`: leave the signer certificate out. */
  readonly nocerts?: boolean;
  /** `-certfile`: more certificates to include. */
  readonly certfile?: string;
  /** `-keyopt`, e.g. `rsa_padding_mode:pss`. */
  readonly keyopt?: string;
}

/** `openssl cms -sign -binary -outform DER` over `content`, returning the DER/BER bytes. */
export async function opensslCmsSign(
  dir: OpensslDir,
  signer: OpensslCertificate,
  content: Uint8Array,
  options: OpensslSignOptions = {},
): Promise<Buffer> {
  const stem = `sign-${process.pid}-${(counter += 1)}`;
  await dir.write(`${stem}.in`, content);
  const args = ['cms', '-sign', '-binary', '-outform', 'DER', '-in', `${stem}.in`, '-out', `${stem}.p7s`];
  args.push('-signer', signer.certificatePath, '-inkey', signer.keyPath);
  if (options.detached !== true) args.push('-nodetach');
  if (options.stream === true) args.push('-stream');
  if (options.noattr === true) args.push('-noattr');
  if (options.md !== undefined) args.push('-md', options.md);
  if (options.keyid === true) args.push('-keyid');
  if (options.nocerts === true) args.push('-nocerts');
  if (options.certfile !== undefined) args.push('-certfile', options.certfile);
  if (options.keyopt !== undefined) args.push('-keyopt', options.keyopt);
  await dir.run(args);
  return dir.read(`${stem}.p7s`);
}

let counter = 0;

/** Whether an `openssl asn1parse` dump of DER/BER bytes shows any indefinite length. */
export async function hasIndefiniteLength(dir: OpensslDir, der: Uint8Array): Promise<boolean> {
  const dump = (await dir.run(['asn1parse', '-inform', 'DER'], { input: der })).toString();
  return /l=inf/.test(dump);
}

/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flipBit(bytes: Uint8Array, index: number, bit = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ (1 << bit);
  return copy;
}
