// What the token JSON says must be true: a token Apple calls expired is expired (not
// "rejected"), and a sync lease left by a process that stopped is "waiting for the previous
// sync to time out", not "running".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DepTokenExpiredError } from '../../src/apple/dep/index.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { ManualClock } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { FakeApple, serials } from '../sync/fake-apple.js';
import { connectToken, customerWithSites, json, startSyncOrchard, type SyncHarness } from '../sync/support.js';

const SECOND = 1000;
/** ORCHARD_SYNC_LEASE_SECONDS's default: renewed every 20 s by a live holder. */
const LEASE_MS = 60 * SECOND;

for (const { engine, skip } of await engines()) {
  describe(`token status and sync state tell the truth on ${engine}`, { skip }, () => {
    let h: SyncHarness;
    let repos: Repositories;
    const clock = new ManualClock(new Date());
    const apples = new Map<string, FakeApple>();
    let customerId: string;
    let siteId: string;

    before(async () => {
      h = await startSyncOrchard(engine, {
        clock,
        depClient: ({ tokenId }) => apples.get(tokenId) ?? new FakeApple(),
        sync: { pageSize: 10 },
      });
      repos = repositoriesOf(h.orchard.db.kysely);
      ({
        customerId,
        siteIds: [siteId = ''],
      } = await customerWithSites(h, 'Truth Co', ['Main']));
    });
    after(() => h.close());

    async function token(name: string): Promise<{ tokenId: string; apple: FakeApple }> {
      const { tokenId } = await connectToken(h, customerId, siteId, name);
      const apple = new FakeApple();
      apple.add(serials(name.slice(0, 4).toUpperCase(), 25));
      apples.set(tokenId, apple);
      return { tokenId, apple };
    }
    const get = async (tokenId: string) => json(await h.api('GET', `/api/v1/abm-tokens/${tokenId}`));

    test('Apple answering token_expired shows the token expired in Apple’s words, not rejected', async () => {
      const { tokenId, apple } = await token('Expired by Apple');
      apple.failBefore = (call) => (call === 'fetch' ? new DepTokenExpiredError('POST /server/devices') : undefined);
      const [result] = await h.orchard.sync.runUntilIdle();
      assert.equal(result?.outcome, 'failed');
      const body = await get(tokenId);
      assert.equal(body['status'], 'expired', JSON.stringify(body));
      assert.match(body['statusDetail'], /^Apple answered token_expired when Orchard last used this token/);
      assert.match(body['statusDetail'], /its file said it was valid until \d{4}-\d{2}-\d{2}/);
      assert.doesNotMatch(body['statusDetail'], /revoked|superseded|newer token/);

      // A working token again (renewed in ABM, say) clears it at the next successful sync.
      apple.failBefore = () => undefined;
      await h.api('POST', `/api/v1/abm-tokens/${tokenId}/sync`);
      await h.orchard.sync.runUntilIdle();
      assert.equal((await get(tokenId))['status'], 'active');
    });

    test('a lease left by a killed process shows "waiting for the previous sync to time out" until it runs out; then this instance syncs', async () => {
      const { tokenId } = await token('Left behind');
      // What a process killed mid-sync leaves: it claimed the token 50 s ago, renewed its lease
      // 40 s ago (to 20 s from now), then stopped renewing.
      const now = clock.now().getTime();
      const at = (ms: number) => new Date(now + ms).toISOString();
      const dead = { tokenId, owner: 'old-host:4242:5eed1e55' };
      assert.ok(await repos.syncStates.claim(tokenId, dead.owner, at(-50 * SECOND), at(10 * SECOND)));
      assert.ok(await repos.syncStates.renew(dead, at(-40 * SECOND), at(-40 * SECOND + LEASE_MS)));

      const waiting = (await get(tokenId))['sync'];
      assert.equal(waiting['state'], 'waiting_for_lease');
      assert.equal(waiting['leaseExpiresAt'], at(20 * SECOND));
      const listed = json(await h.api('GET', `/api/v1/abm-tokens?siteId=${siteId}`))['items'].find(
        (t: { id: string }) => t.id === tokenId,
      );
      assert.equal(listed['sync']['state'], 'waiting_for_lease', 'the list says the same');
      assert.deepEqual(await h.orchard.sync.poll(), [], 'nobody may take the token before the lease runs out');

      clock.advance(21 * SECOND);
      assert.notEqual((await get(tokenId))['sync']['state'], 'waiting_for_lease');
      const results = await h.orchard.sync.runUntilIdle();
      assert.ok(results.some((r) => r.outcome === 'synced'));
      const synced = await get(tokenId);
      assert.equal(synced['sync']['state'], 'idle');
      assert.equal(synced['sync']['leaseExpiresAt'], null);
      assert.equal(synced['deviceCount'], 25);
    });

    test('a lease another live instance renews on schedule shows as running', async () => {
      const { tokenId } = await token('Elsewhere');
      const now = clock.now().getTime();
      const at = (ms: number) => new Date(now + ms).toISOString();
      const live = { tokenId, owner: 'other-host:77:a11ve' };
      assert.ok(await repos.syncStates.claim(tokenId, live.owner, at(-30 * SECOND), at(-30 * SECOND + LEASE_MS)));
      assert.ok(await repos.syncStates.renew(live, at(-10 * SECOND), at(-10 * SECOND + LEASE_MS)));
      const sync = (await get(tokenId))['sync'];
      assert.equal(sync['state'], 'running');
      assert.equal(sync['leaseExpiresAt'], null);
      await repos.syncStates.finish(live, { ok: true, nextRunAt: at(LEASE_MS), now: at(0) });
    });

    test('this instance’s own sync shows as running while it runs', async () => {
      const { tokenId, apple } = await token('Own run');
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      let fetching = () => {};
      const started = new Promise<void>((resolve) => (fetching = resolve));
      apple.failBefore = () => undefined;
      const original = apple.fetchDevices.bind(apple);
      apple.fetchDevices = async (...args: Parameters<FakeApple['fetchDevices']>) => {
        fetching();
        await held;
        return original(...args);
      };
      const run = h.orchard.sync.runNow(tokenId);
      await started;
      assert.equal((await get(tokenId))['sync']['state'], 'running');
      release();
      const result = await run;
      assert.ok(result !== 'busy' && result.outcome === 'synced', JSON.stringify(result));
    });
  });
}
