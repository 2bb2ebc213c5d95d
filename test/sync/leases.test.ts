// Two Orchard processes on one database never sync the same token at once: each token is
// claimed with a lease, on PostgreSQL and on SQLite alike (the same code path).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openOrchard, type Orchard } from '../../src/app/orchard.js';
import { loadConfig } from '../../src/config/config.js';
import { engines } from '../helpers/services.js';
import { FakeApple, serials } from './fake-apple.js';
import { allDevices, connectToken, customerWithSites, startSyncOrchard, type SyncHarness } from './support.js';

for (const { engine, skip } of await engines()) {
  describe(`sync leases with two Orchard instances on ${engine}`, { skip }, () => {
    let h: SyncHarness;
    let second: Orchard;
    const apples = new Map<string, FakeApple>();
    const appleOf = ({ tokenId }: { tokenId: string }) => {
      const apple = apples.get(tokenId);
      if (apple === undefined) throw new Error(`no fake Apple for ${tokenId}`);
      return apple;
    };
    const tokenIds: string[] = [];

    before(async () => {
      const sync = { pageSize: 10, concurrency: 2 };
      h = await startSyncOrchard(engine, { depClient: appleOf, sync });
      second = await openOrchard(loadConfig({ ...h.database.env, ORCHARD_PUBLIC_URL: h.base }), {
        depClient: appleOf,
        sync,
      });
      const { customerId, siteIds } = await customerWithSites(h, 'Lease Co', ['One']);
      for (let i = 0; i < 4; i++) {
        const { tokenId } = await connectToken(h, customerId, siteIds[0] ?? '', `Lease server ${i}`);
        const apple = new FakeApple();
        apple.delayMs = 15;
        apple.add(serials(`L${i}`, 30));
        apples.set(tokenId, apple);
        tokenIds.push(tokenId);
      }
    });
    after(async () => {
      await second.close();
      await h.close();
    });

    test('every due token is synced once, by one of the two, never by both at the same time', async () => {
      const [one, two] = await Promise.all([h.orchard.sync.runUntilIdle(), second.sync.runUntilIdle()]);
      assert.equal(one.length + two.length, 4, `${one.length} + ${two.length} runs`);
      assert.ok([...one, ...two].every((r) => r.outcome === 'synced'));
      for (const tokenId of tokenIds) {
        const apple = apples.get(tokenId) ?? new FakeApple();
        assert.deepEqual(
          [apple.maxInFlight.get('fetch'), apple.maxInFlight.get('assign')],
          [1, 1],
          'one page and one assignment asked at a time',
        );
        assert.deepEqual(
          apple.calls.filter((c) => c.call === 'fetch').map((c) => c.cursor),
          [undefined, 'F:0:10', 'F:0:20'],
          'one full fetch, not two',
        );
        assert.equal((await allDevices(h, `abmTokenId=${tokenId}`)).length, 30);
      }
    });
  });
}
