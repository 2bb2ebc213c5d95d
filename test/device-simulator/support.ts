// OpenSSL as the independent party for the simulator's tests: it makes the certificates
// (a device CA and a factory identity, a profile signer) and checks or makes CMS signatures.
// Everything lives in a temporary directory.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OPENSSL = '/usr/bin/openssl';

export interface Workdir {
  readonly path: string;
  file(name: string): string;
  write(name: string, data: string | Uint8Array): Promise<string>;
  read(name: string): Promise<Buffer>;
  openssl(args: readonly string[], input?: string | Uint8Array): Promise<Buffer>;
  remove(): Promise<void>;
}

export async function workdir(): Promise<Workdir> {
  const path = await mkdtemp(join(tmpdir(), 'orchard-device-sim-'));
  const file = (name: string) => join(path, name);
  return {
    path,
    file,
    write: async (name, data) => {
      await writeFile(file(name), data);
      return file(name);
    },
    read: (name) => readFile(file(name)),
    openssl: (args, input) =>
      new Promise((resolve, reject) => {
        const child = execFile(OPENSSL, args, { cwd: path, encoding: 'buffer' }, (error, stdout, stderr) => {
          if (error) reject(new Error(`openssl ${args.join(' ')}: ${stderr.toString()}`));
          else resolve(stdout);
        });
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(input);
      }),
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

export interface PemIdentity {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** A self-signed CA (`<name>.pem`, `<name>.key`) made by OpenSSL. */
export async function opensslCa(dir: Workdir, name: string): Promise<PemIdentity> {
  await dir.openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '30',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:true',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    certificatePem: (await dir.read(`${name}.pem`)).toString(),
    privateKeyPem: (await dir.read(`${name}.key`)).toString(),
  };
}

/** A leaf certificate for a new key (`ec` P-256 or `rsa` 2048), issued by `ca`, made by OpenSSL. */
export async function opensslLeaf(
  dir: Workdir,
  name: string,
  ca: string,
  keyType: 'ec' | 'rsa',
  extensions = 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\n',
): Promise<PemIdentity> {
  const keyArgs = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  await dir.openssl([
    'req',
    '-new',
    ...keyArgs,
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  await dir.write(`${name}.ext`, extensions);
  await dir.openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '30',
    '-extfile',
    `${name}.ext`,
  ]);
  return {
    certificatePem: (await dir.read(`${name}.pem`)).toString(),
    privateKeyPem: (await dir.read(`${name}.key`)).toString(),
  };
}
