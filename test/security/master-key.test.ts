import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  MasterKeyConfigError,
  generateMasterKey,
  loadKeyring,
  parseMasterKey,
  rotateKeyFile,
} from '../../src/security/master-key.js';
import { SecretBox } from '../../src/security/secret-box.js';

// `openssl rand -base64 32` and the same 32 bytes re-encoded by hand as base64url.
const OPENSSL_KEY = 'vPAINKtgT3oyM6tdZYDk1soeWOlH8Pca4OWQa4Y3k1I=';
const OPENSSL_KEY_URL = 'vPAINKtgT3oyM6tdZYDk1soeWOlH8Pca4OWQa4Y3k1I';
const OPENSSL_KEY_ID = '777489826996fc02';
const OTHER_KEY = 'lGfDhRiKRF6t1Jj9uxSebt9wrFKlqijnjOjuD1j9gRA=';
const OTHER_KEY_ID = '90b1b70fc5e95539';
const KEY_WITH_URL_CHARS = Buffer.alloc(32, 0xfb); // encodes with '+' / '-' and '/' / '_'

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'orchard-master-key-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function configError(pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof MasterKeyConfigError, String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'message is one line');
    return true;
  };
}

test('parseMasterKey accepts 32 bytes as base64 or base64url, padded or not', () => {
  assert.equal(parseMasterKey(OPENSSL_KEY, 'ORCHARD_MASTER_KEY').id, OPENSSL_KEY_ID);
  assert.equal(parseMasterKey(OPENSSL_KEY_URL, 'ORCHARD_MASTER_KEY').id, OPENSSL_KEY_ID);
  assert.equal(parseMasterKey(` ${OPENSSL_KEY}\n`, 'ORCHARD_MASTER_KEY').id, OPENSSL_KEY_ID);
  const std = KEY_WITH_URL_CHARS.toString('base64');
  const url = KEY_WITH_URL_CHARS.toString('base64url');
  assert.notEqual(std.replace(/=+$/, ''), url);
  assert.deepEqual(parseMasterKey(std, 'K').key, KEY_WITH_URL_CHARS);
  assert.deepEqual(parseMasterKey(url, 'K').key, KEY_WITH_URL_CHARS);
  assert.deepEqual(parseMasterKey(generateMasterKey(), 'K').key.length, 32);
});

test('parseMasterKey refuses 31 and 33 bytes with one line naming the variable and the byte count', () => {
  for (const n of [31, 33, 12]) {
    const value = Buffer.alloc(n, 7).toString('base64');
    assert.throws(
      () => parseMasterKey(value, 'ORCHARD_MASTER_KEY'),
      configError(
        new RegExp(
          `^ORCHARD_MASTER_KEY must be 32 bytes encoded as base64 \\(got ${n} bytes\\); generate one with: openssl rand -base64 32$`,
        ),
      ),
    );
  }
});

test('parseMasterKey refuses garbage, hex, empty and all-zero keys without echoing the value', () => {
  const cases: Array<[string, RegExp]> = [
    ['not a key!', /not valid base64/],
    ['', /it is empty/],
    ['abc', /got 2 bytes/],
    ['a', /not valid base64/],
    [`${OPENSSL_KEY}=`, /not valid base64/],
    ['vPAINKtgT3oyM6tdZYDk1soeWOlH8Pca4OWQa4Y3k1I-/A==', /not valid base64/], // mixed alphabets
    [Buffer.alloc(32, 9).toString('hex'), /got 48 bytes; it looks like hex/],
    [Buffer.alloc(32).toString('base64'), /all zero bytes/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(
      () => parseMasterKey(value, 'ORCHARD_MASTER_KEY_PREVIOUS'),
      (err: unknown) => {
        configError(/^ORCHARD_MASTER_KEY_PREVIOUS must be 32 bytes/)(err);
        configError(pattern)(err);
        if (value.length > 3) assert.ok(!(err as Error).message.includes(value));
        return true;
      },
      JSON.stringify(value),
    );
  }
});

test('with ORCHARD_MASTER_KEY set, the keyring comes from env with the previous keys', async () => {
  const dataDir = join(await tempDir(), 'unused');
  const { keyring, source } = await loadKeyring({
    envKey: OPENSSL_KEY,
    envPrevious: ` ${OTHER_KEY} ,, ${OPENSSL_KEY}`,
    dataDir,
    allowGenerate: false,
  });
  assert.equal(source, 'env');
  assert.equal(keyring.current.id, OPENSSL_KEY_ID);
  assert.deepEqual(
    keyring.previous.map((k) => k.id),
    [OTHER_KEY_ID],
  );
  await assert.rejects(stat(dataDir), { code: 'ENOENT' }, 'env keys never touch the data dir');
});

test('a bad ORCHARD_MASTER_KEY_PREVIOUS entry is reported by its position', async () => {
  await assert.rejects(
    loadKeyring({
      envKey: OPENSSL_KEY,
      envPrevious: `${OTHER_KEY},,nope`,
      dataDir: '/nonexistent',
      allowGenerate: false,
    }),
    configError(/^ORCHARD_MASTER_KEY_PREVIOUS \(entry 3\) must be 32 bytes/),
  );
});

test('ORCHARD_MASTER_KEY_PREVIOUS without ORCHARD_MASTER_KEY is refused', async () => {
  await assert.rejects(
    loadKeyring({ envPrevious: OTHER_KEY, dataDir: await tempDir(), allowGenerate: true }),
    configError(/ORCHARD_MASTER_KEY_PREVIOUS is set but ORCHARD_MASTER_KEY is not/),
  );
});

test('production without ORCHARD_MASTER_KEY is refused with the documented message', async () => {
  for (const envKey of [undefined, '', '  ']) {
    await assert.rejects(
      loadKeyring({ envKey, dataDir: await tempDir(), allowGenerate: false }),
      configError(
        /^ORCHARD_MASTER_KEY is required in production: set it to 32 random bytes in base64 \(openssl rand -base64 32\)$/,
      ),
    );
  }
});

test('development generates master.key with mode 0600 and reuses it on the next start', async () => {
  const dataDir = join(await tempDir(), 'nested', 'data');
  const first = await loadKeyring({ dataDir, allowGenerate: true });
  assert.equal(first.source, 'generated');
  const path = join(dataDir, 'master.key');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(parseMasterKey(await readFile(path, 'utf8'), 'file').id, first.keyring.current.id);
  assert.deepEqual(first.keyring.previous, []);

  const second = await loadKeyring({ dataDir, allowGenerate: true });
  assert.equal(second.source, 'file');
  assert.equal(second.keyring.current.id, first.keyring.current.id);
  assert.deepEqual(await readdir(dataDir), ['master.key'], 'no temp files left behind');
});

test('an existing master.key written by hand (first line current, the rest previous) is used', async () => {
  const dataDir = await tempDir();
  await writeFile(join(dataDir, 'master.key'), `${OPENSSL_KEY}\n\n${OTHER_KEY}\r\n`, { mode: 0o600 });
  const { keyring, source } = await loadKeyring({ dataDir, allowGenerate: true });
  assert.equal(source, 'file');
  assert.equal(keyring.current.id, OPENSSL_KEY_ID);
  assert.deepEqual(
    keyring.previous.map((k) => k.id),
    [OTHER_KEY_ID],
  );
});

test('a master.key readable by group or others is refused, like ssh refuses a loose private key', async () => {
  const dataDir = await tempDir();
  const path = join(dataDir, 'master.key');
  await writeFile(path, `${OPENSSL_KEY}\n`);
  for (const mode of [0o644, 0o640, 0o604]) {
    await chmod(path, mode);
    await assert.rejects(
      loadKeyring({ dataDir, allowGenerate: true }),
      configError(
        new RegExp(`master\\.key is accessible by group or others \\(mode 0${mode.toString(8)}\\); run: chmod 600 `),
      ),
    );
  }
  await chmod(path, 0o600);
  assert.equal((await loadKeyring({ dataDir, allowGenerate: true })).keyring.current.id, OPENSSL_KEY_ID);
});

test('an empty or corrupt master.key is refused with the file and line named', async () => {
  const dataDir = await tempDir();
  const path = join(dataDir, 'master.key');
  await writeFile(path, '\n', { mode: 0o600 });
  await assert.rejects(loadKeyring({ dataDir, allowGenerate: true }), configError(/master\.key contains no key/));
  await writeFile(path, `${OPENSSL_KEY}\nshort\n`, { mode: 0o600 });
  await assert.rejects(
    loadKeyring({ dataDir, allowGenerate: true }),
    configError(/master\.key line 2 must be 32 bytes/),
  );
});

test('concurrent first starts on an empty data dir agree on one key', async () => {
  const dataDir = join(await tempDir(), 'data');
  const results = await Promise.all(Array.from({ length: 8 }, () => loadKeyring({ dataDir, allowGenerate: true })));
  assert.equal(new Set(results.map((r) => r.keyring.current.id)).size, 1);
  assert.equal(results.filter((r) => r.source === 'generated').length, 1);
  assert.deepEqual(await readdir(dataDir), ['master.key']);
});

test('concurrent first starts in separate processes agree on one key', async () => {
  const dataDir = join(await tempDir(), 'data');
  const moduleUrl = new URL('../../src/security/master-key.ts', import.meta.url).href;
  const script =
    `const { loadKeyring } = await import(${JSON.stringify(moduleUrl)});` +
    `const r = await loadKeyring({ dataDir: ${JSON.stringify(dataDir)}, allowGenerate: true });` +
    'process.stdout.write(r.keyring.current.id);';
  const run = promisify(execFile);
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const outputs = await Promise.all(
    Array.from({ length: 4 }, () =>
      run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd }),
    ),
  );
  const ids = outputs.map((o) => o.stdout);
  assert.match(ids[0] ?? '', /^[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, 1);
});

test('rotateKeyFile puts a new current key first and keeps the old ones as previous', async () => {
  const dataDir = await tempDir();
  const original = await loadKeyring({ dataDir, allowGenerate: true });
  const oldBox = new SecretBox(original.keyring);
  const sealed = oldBox.seal('abm private key', 'abm_token:1:private_key');

  const { keyring } = await rotateKeyFile(dataDir);
  assert.notEqual(keyring.current.id, original.keyring.current.id);
  assert.deepEqual(
    keyring.previous.map((k) => k.id),
    [original.keyring.current.id],
  );

  const path = join(dataDir, 'master.key');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const reloaded = await loadKeyring({ dataDir, allowGenerate: true });
  assert.equal(reloaded.keyring.current.id, keyring.current.id);
  assert.deepEqual(
    reloaded.keyring.previous.map((k) => k.id),
    [original.keyring.current.id],
  );

  const box = new SecretBox(reloaded.keyring);
  assert.equal(box.needsRotation(sealed), true);
  const resealed = box.reseal(sealed, 'abm_token:1:private_key');
  assert.equal(box.keyIdOf(resealed), keyring.current.id);

  const twice = await rotateKeyFile(dataDir);
  assert.deepEqual(
    twice.keyring.previous.map((k) => k.id),
    [keyring.current.id, original.keyring.current.id],
  );
  assert.deepEqual(await readdir(dataDir), ['master.key']);
});

test('rotateKeyFile without a key file says there is nothing to rotate', async () => {
  await assert.rejects(rotateKeyFile(await tempDir()), configError(/master\.key: it does not exist/));
});
