// API key verification: every request reads the key (so a revoked key is refused at once),
// but its last_used_at is written at most once a minute, even by requests running at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { AccountService } from '../../src/domain/accounts.js';
import { generateApiKey, hashOpaqueToken } from '../../src/security/opaque-token.js';
import type { Transactor } from '../../src/store/repositories/index.js';
import type { ApiKey, ApiKeyRepository, NewApiKey } from '../../src/store/repositories/api-keys.js';
import type { PasswordLinkRepository } from '../../src/store/repositories/password-links.js';
import type { LoginThrottleRepository } from '../../src/store/repositories/login-throttle.js';
import type { SessionRepository } from '../../src/store/repositories/sessions.js';
import type { UserRepository } from '../../src/store/repositories/users.js';
import { ManualClock } from '../helpers/orchard.js';

/** Keys in memory, answering a tick later like a database; counts the reads and the writes. */
class MemoryApiKeys implements ApiKeyRepository {
  private readonly rows = new Map<string, ApiKey & { keyHash: string }>();
  reads = 0;
  touches = 0;

  async insert(row: NewApiKey) {
    const key = { ...row, createdAt: row.now, lastUsedAt: null, revokedAt: null };
    this.rows.set(row.id, key);
    return key;
  }
  async findActiveByHash(keyHash: string) {
    this.reads++;
    await new Promise((resolve) => setImmediate(resolve));
    const row = [...this.rows.values()].find((r) => r.keyHash === keyHash && r.revokedAt === null);
    return row === undefined ? undefined : { ...row };
  }
  async existsWithHash(keyHash: string) {
    return [...this.rows.values()].some((r) => r.keyHash === keyHash);
  }
  async list() {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }
  async findById(id: string) {
    const row = this.rows.get(id);
    return row === undefined ? undefined : { ...row };
  }
  async revokeAllOf(): Promise<number> {
    throw new Error('not used here');
  }
  async revoke(idOrPrefix: string, now: string) {
    const hit = [...this.rows.values()].filter((r) => (r.id === idOrPrefix || r.prefix === idOrPrefix) && !r.revokedAt);
    for (const r of hit) this.rows.set(r.id, { ...r, revokedAt: now });
    return hit.map((r) => ({ ...r, revokedAt: now }));
  }
  async touch(id: string, now: string) {
    this.touches++;
    await new Promise((resolve) => setImmediate(resolve));
    const row = this.rows.get(id);
    if (row !== undefined) this.rows.set(id, { ...row, lastUsedAt: now });
  }
}

function accounts() {
  const clock = new ManualClock();
  const keys = new MemoryApiKeys();
  const unused = {} as never;
  const service = new AccountService(
    unused as UserRepository,
    unused as SessionRepository,
    keys,
    unused as LoginThrottleRepository,
    unused as PasswordLinkRepository,
    unused as Transactor,
    clock,
  );
  /** A service key stored as the repository stores one: only its hash. */
  const serviceKey = async () => {
    const { key, prefix } = generateApiKey();
    const apiKey = await keys.insert({
      id: randomUUID(),
      name: 'automation',
      prefix,
      keyHash: hashOpaqueToken(key),
      userId: null,
      now: clock.now().toISOString(),
      expiresAt: null,
      readOnly: false,
    });
    return { key, apiKey };
  };
  return { clock, keys, service, serviceKey };
}

test('requests running at once with a key write its last use once; then at most once a minute', async () => {
  const { clock, keys, service, serviceKey } = accounts();
  const { key, apiKey } = await serviceKey();
  const principals = await Promise.all(Array.from({ length: 20 }, () => service.authenticateApiKey(key)));
  assert.ok(
    principals.every((p) => p?.role === 'admin' && p.credential.via === 'api_key' && p.credential.id === apiKey.id),
  );
  assert.equal(keys.reads, 20, 'every request reads the key');
  assert.equal(keys.touches, 1, 'one write for the 20');
  const firstUse = clock.now().toISOString();
  assert.equal((await keys.list())[0]?.lastUsedAt, firstUse);

  clock.advance(60_000);
  await service.authenticateApiKey(key);
  assert.equal(keys.touches, 1, 'not again within the minute');
  clock.advance(1);
  await Promise.all([service.authenticateApiKey(key), service.authenticateApiKey(key)]);
  assert.equal(keys.touches, 2, 'once more after it');
  assert.equal((await keys.list())[0]?.lastUsedAt, clock.now().toISOString());
  assert.equal(apiKey.revokedAt, null);
});

test('a revoked key is refused by the very next request', async () => {
  const { keys, service, serviceKey } = accounts();
  const { key, apiKey } = await serviceKey();
  assert.notEqual(await service.authenticateApiKey(key), undefined);
  await keys.revoke(apiKey.id, new Date().toISOString());
  assert.equal(await service.authenticateApiKey(key), undefined);
  assert.equal(keys.touches, 1, 'a refused key records no use');
});
