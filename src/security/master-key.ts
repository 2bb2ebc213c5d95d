// Where the master key comes from: ORCHARD_MASTER_KEY (+ _PREVIOUS) in production, or a
// key file generated once into the data dir in development. Callers pass the env values in.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MASTER_KEY_BYTES, toMasterKey, type Keyring, type MasterKey } from './secret-box.js';

export const MASTER_KEY_FILE = 'master.key';
const GENERATE_HINT = 'generate one with: openssl rand -base64 32';

export class MasterKeyConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MasterKeyConfigError';
  }
}

export type KeyringSource = 'env' | 'file' | 'generated';

export interface LoadKeyringOptions {
  /** ORCHARD_MASTER_KEY; blank counts as unset (compose files often pass `VAR=`). */
  envKey?: string | undefined;
  /** ORCHARD_MASTER_KEY_PREVIOUS: comma-separated keys that may still open old secrets. */
  envPrevious?: string | undefined;
  dataDir: string;
  /** Development only: read or create `<dataDir>/master.key` when no env key is set. */
  allowGenerate: boolean;
}

export function generateMasterKey(): string {
  return randomBytes(MASTER_KEY_BYTES).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Never echoes the value: it is the key. */
export function parseMasterKey(value: string, variableName: string): MasterKey {
  const fail = (problem: string): never => {
    throw new MasterKeyConfigError(
      `${variableName} must be ${MASTER_KEY_BYTES} bytes encoded as base64 (${problem}); ${GENERATE_HINT}`,
    );
  };
  const text = value.trim();
  if (text === '') return fail('it is empty');
  const unpadded = text.replace(/={1,2}$/, '');
  const padded = unpadded.length !== text.length;
  if (
    !(BASE64.test(unpadded) || BASE64URL.test(unpadded)) ||
    unpadded.length % 4 === 1 ||
    (padded && text.length % 4 !== 0)
  ) {
    return fail('it is not valid base64');
  }
  const bytes = Buffer.from(unpadded, BASE64URL.test(unpadded) ? 'base64url' : 'base64');
  if (bytes.length !== MASTER_KEY_BYTES) {
    // 64 hex characters also parse as base64 (to 48 bytes); say what probably happened.
    const hex = /^[0-9a-fA-F]{64}$/.test(text) ? '; it looks like hex' : '';
    return fail(`got ${bytes.length} bytes${hex}`);
  }
  // Catches the all-"A" placeholder copied from an example .env file.
  if (bytes.every((b) => b === 0)) return fail('it is all zero bytes');
  return toMasterKey(bytes);
}

function keyringOf(keys: readonly MasterKey[]): Keyring {
  const [current, ...rest] = keys;
  if (current === undefined) throw new RangeError('keyring needs at least one key');
  // The same key listed twice (e.g. pasted into both variables) is harmless; keep one.
  const byId = new Map<string, MasterKey>();
  for (const k of rest) if (k.id !== current.id && !byId.has(k.id)) byId.set(k.id, k);
  return { current, previous: [...byId.values()] };
}

export async function loadKeyring(opts: LoadKeyringOptions): Promise<{ keyring: Keyring; source: KeyringSource }> {
  const envKey = opts.envKey?.trim() ?? '';
  const envPrevious = opts.envPrevious?.trim() ?? '';
  if (envKey !== '') {
    const current = parseMasterKey(envKey, 'ORCHARD_MASTER_KEY');
    const previous = envPrevious
      .split(',')
      .flatMap((s, i) => (s.trim() === '' ? [] : [parseMasterKey(s, `ORCHARD_MASTER_KEY_PREVIOUS (entry ${i + 1})`)]));
    return { keyring: keyringOf([current, ...previous]), source: 'env' };
  }
  if (envPrevious !== '') {
    throw new MasterKeyConfigError(
      'ORCHARD_MASTER_KEY_PREVIOUS is set but ORCHARD_MASTER_KEY is not; ' +
        'set ORCHARD_MASTER_KEY to the current key',
    );
  }
  if (!opts.allowGenerate) {
    throw new MasterKeyConfigError(
      'ORCHARD_MASTER_KEY is required in production: ' +
        'set it to 32 random bytes in base64 (openssl rand -base64 32)',
    );
  }
  const path = join(opts.dataDir, MASTER_KEY_FILE);
  return fileErrorsAsConfig(path, async () => {
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    try {
      return { keyring: await readKeyFile(path), source: 'file' };
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    const created = await createIfMissing(path, `${generateMasterKey()}\n`);
    // Read back what won the race, so every racer returns exactly what is on disk.
    return { keyring: await readKeyFile(path), source: created ? 'generated' : 'file' };
  });
}

/**
 * Development rotation: a new current key first, the old keys kept after it so existing
 * secrets still open until they are resealed. Not safe against two concurrent rotations
 * (the loser's key would be dropped); it is a manual CLI step.
 */
export async function rotateKeyFile(dataDir: string): Promise<{ keyring: Keyring }> {
  const path = join(dataDir, MASTER_KEY_FILE);
  return fileErrorsAsConfig(path, async () => {
    const old = await readKeyFile(path);
    const keyring = keyringOf([toMasterKey(randomBytes(MASTER_KEY_BYTES)), old.current, ...old.previous]);
    const text = [keyring.current, ...keyring.previous].map((k) => `${k.key.toString('base64')}\n`).join('');
    const tmp = await writeTemp(path, text);
    try {
      // rename is atomic: a concurrent reader sees the old file or the new one, never half.
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDir(dataDir);
    return { keyring };
  });
}

async function readKeyFile(path: string): Promise<Keyring> {
  const handle = await open(path, 'r');
  try {
    // fstat on the handle we read from, so the file checked is the file used.
    const st = await handle.stat();
    if (!st.isFile()) throw new MasterKeyConfigError(`${path} is not a regular file`);
    // Like ssh with private keys: a key others can read is a key that may have leaked.
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new MasterKeyConfigError(`${path} is accessible by group or others (mode ${mode}); run: chmod 600 ${path}`);
    }
    const lines = (await handle.readFile('utf8')).split(/\r?\n/);
    const keys = lines.flatMap((line, i) =>
      line.trim() === '' ? [] : [parseMasterKey(line, `${path} line ${i + 1}`)],
    );
    if (keys.length === 0) {
      throw new MasterKeyConfigError(
        `${path} contains no key; restore it from backup, or delete it to generate a new one ` +
          '(secrets sealed under a lost key cannot be opened)',
      );
    }
    return keyringOf(keys);
  } finally {
    await handle.close();
  }
}

/**
 * Publishes the file with link(2), which fails with EEXIST if another process got there
 * first. A plain open('wx') would let a racer read the file between create and write and
 * see it empty; the temp file is complete before link makes it visible.
 */
async function createIfMissing(path: string, contents: string): Promise<boolean> {
  const tmp = await writeTemp(path, contents);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function writeTemp(path: string, contents: string): Promise<string> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(contents, 'utf8');
    // Without fsync a crash can leave a renamed-but-empty key file: every secret lost.
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  return tmp;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: some platforms cannot fsync a directory; the rename itself has happened.
  }
}

async function fileErrorsAsConfig<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof MasterKeyConfigError) throw err;
    const code = errorCode(err);
    const why = code === 'ENOENT' ? 'it does not exist' : (code ?? String(err));
    throw new MasterKeyConfigError(`cannot use master key file ${path}: ${why}`, { cause: err });
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}
