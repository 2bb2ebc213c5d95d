// The sync runner's cursor life cycle, crash recovery, leases and assignment rules, against
// a scripted Apple (fake-apple.ts). Orchestration only, so SQLite is enough here; the
// storage rules run on both engines in test/store and test/sync/sandbox-sync.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DepBadRequestError, DepCursorInvalidError, DepUnavailableError } from '../../src/apple/dep/index.js';
import { repositoriesOf } from '../../src/store/repositories/index.js';
import type { RunResult } from '../../src/sync/runner.js';
import { ManualClock } from '../helpers/orchard.js';
import { FakeApple, serials } from './fake-apple.js';
import { allDevices, connectToken, customerWithSites, json, startSyncOrchard, type SyncHarness } from './support.js';

describe('sync runner against a scripted Apple', () => {
  let h: SyncHarness;
  let apple: FakeApple;
  const clock = new ManualClock(new Date());
  let site: { customerId: string; siteIds: string[] };
  let tokenId: string;

  before(async () => {
    h = await startSyncOrchard('sqlite', {
      clock,
      depClient: () => apple,
      sync: { pageSize: 10, assignRetryMs: 3_600_000, backoffBaseMs: 30_000 },
    });
    site = await customerWithSites(h, 'Runner Co', ['One']);
  });
  after(() => h.close());

  beforeEach(async () => {
    apple = new FakeApple();
    tokenId = (await connectToken(h, site.customerId, site.siteIds[0] ?? '', `Runner ${Math.random()}`)).tokenId;
  });

  const states = () => repositoriesOf(h.orchard.db.kysely).syncStates;
  const run = async (): Promise<RunResult> => {
    clock.advance(1000);
    const result = await h.orchard.sync.runNow(tokenId);
    assert.notEqual(result, 'busy');
    return result as RunResult;
  };
  const stored = async () =>
    new Set(
      (await allDevices(h, `abmTokenId=${tokenId}&enrollmentState=awaiting_enrollment`)).map((d) => d['serialNumber']),
    );
  const token = async () => json(await h.api('GET', `/api/v1/abm-tokens/${tokenId}`));
  const state = async () => (await states().find(tokenId))!;

  test('a failure on the third page keeps the two committed pages; the next run resumes from there, losing and repeating nothing', async () => {
    apple.add(serials('CR', 45));
    apple.failBefore = (call, n) =>
      call === 'fetch' && n === 3
        ? new DepUnavailableError('POST /server/devices', 'apple', 'HTTP 503', 5, true)
        : undefined;
    const first = await run();
    assert.equal(first.outcome, 'failed');
    assert.equal((await stored()).size, 20);
    assert.deepEqual([(await state()).phase, (await state()).cursor], ['fetch', 'F:0:20']);
    assert.equal((await token())['status'], 'unreachable');

    apple.failBefore = () => undefined;
    const second = await run();
    assert.equal(second.outcome, 'synced');
    assert.deepEqual(await stored(), new Set(serials('CR', 45)));
    const fetches = apple.calls.filter((c) => c.call === 'fetch').map((c) => c.cursor);
    assert.deepEqual(
      fetches,
      [undefined, 'F:0:10', 'F:0:20', 'F:0:20', 'F:0:30', 'F:0:40'],
      'resumed at the failed page',
    );
    const healed = await token();
    assert.deepEqual([healed['status'], healed['lastSyncError'], healed['deviceCount']], ['active', null, 45]);
  });

  test('Apple echoing the same cursor with more_to_follow stops the run instead of spinning', async () => {
    apple.add(serials('ST', 3));
    assert.equal((await run()).outcome, 'synced');
    apple.syncOverride = (cursor) => ({
      devices: [],
      cursor,
      moreToFollow: true,
      fetchedUntil: null,
      ignoredDevices: 0,
    });
    const stuck = await run();
    assert.equal(stuck.outcome, 'failed');
    assert.ok(apple.calls.filter((c) => c.call === 'sync').length <= 4, 'a handful of calls, not a loop');
    const t = await token();
    assert.match(t['lastSyncError'], /same position/);
    assert.equal(t['status'], 'active', 'not an Apple outage');
    assert.ok((await state()).nextRunAt > clock.now().toISOString(), 'backs off');
  });

  test('EXHAUSTED_CURSOR on a fetch continues with sync from the same cursor; an invalid sync cursor refetches everything once', async () => {
    apple.add(serials('EX', 12));
    assert.equal((await run()).outcome, 'synced');
    const cursor = (await state()).cursor;
    // As if the run had died after the last fetch page's request but before seeing its answer.
    await h.orchard.db.kysely
      .updateTable('sync_states')
      .set({ phase: 'fetch' })
      .where('token_id', '=', tokenId)
      .execute();
    apple.add(['EX999999']);
    assert.equal((await run()).outcome, 'synced');
    const exhausted = apple.calls.findIndex((c) => c.call === 'fetch' && c.cursor === cursor);
    assert.ok(exhausted > 0, 'the fetch was asked to continue from the stored cursor');
    assert.deepEqual(apple.calls[exhausted + 1], { call: 'sync', cursor }, 'then sync from the same cursor');
    assert.equal((await stored()).size, 13);

    // Apple stops accepting the sync cursor: one full fetch, and devices that left meanwhile go.
    let refusals = 1;
    apple.failBefore = (call) =>
      call === 'sync' && refusals-- > 0 ? new DepCursorInvalidError('POST /devices/sync', 'INVALID_CURSOR') : undefined;
    apple.devices.delete('EX000000');
    const calls = apple.calls.length;
    assert.equal((await run()).outcome, 'synced');
    const after = apple.calls.slice(calls);
    assert.deepEqual(
      after.slice(0, 2).map((c) => [c.call, c.cursor]),
      [
        ['sync', after[0]?.cursor],
        ['fetch', undefined],
      ],
      'refused sync, then a full fetch from the start',
    );
    assert.equal(after.filter((c) => c.call === 'fetch' && c.cursor === undefined).length, 1, 'once');
    assert.equal((await stored()).has('EX000000'), false, 'reconciled by the refetch');
    assert.equal((await stored()).size, 12);

    // A cursor refused again right after the refetch fails the run rather than looping.
    apple.failBefore = (call) =>
      call === 'sync' ? new DepCursorInvalidError('POST /devices/sync', 'INVALID_CURSOR') : undefined;
    const refused = await run();
    assert.equal(refused.outcome, 'failed');
    assert.ok(apple.calls.filter((c) => c.call === 'fetch').length < 10);
  });

  test('THROTTLED devices stay pending and the token comes back after retry_after_seconds', async () => {
    apple.add(serials('TH', 4));
    let throttle = true;
    apple.assignAnswer = (serial) => (throttle && serial >= 'TH000002' ? 'THROTTLED' : 'SUCCESS');
    apple.retryAfterSeconds = 120;
    assert.equal((await run()).outcome, 'synced');
    const pending = (await allDevices(h, `abmTokenId=${tokenId}`)).filter(
      (d) => d['profileAssignStatus'] === 'pending',
    );
    assert.deepEqual(
      pending.map((d) => d['serialNumber']),
      ['TH000002', 'TH000003'],
    );
    const due = Date.parse((await state()).nextRunAt) - clock.now().getTime();
    assert.ok(due >= 119_000 && due <= 121_000, `due in ${due} ms`);
    throttle = false;
    assert.equal((await run()).outcome, 'synced');
    const assigned = (await allDevices(h, `abmTokenId=${tokenId}`)).filter(
      (d) => d['profileAssignStatus'] === 'assigned',
    );
    assert.equal(assigned.length, 4);
  });

  test('FAILED and NOT_ACCESSIBLE are recorded per device and tried again only after the cool-down', async () => {
    apple.add(serials('FA', 3));
    apple.assignAnswer = (serial) =>
      serial === 'FA000000' ? 'FAILED' : serial === 'FA000001' ? 'NOT_ACCESSIBLE' : 'SUCCESS';
    assert.equal((await run()).outcome, 'synced');
    const failed = json(await h.api('GET', '/api/v1/devices/FA000000'));
    assert.equal(failed['profileAssignStatus'], 'failed');
    assert.match(failed['profileAssignError'], /FAILED/);
    assert.equal(json(await h.api('GET', '/api/v1/devices/FA000001'))['profileAssignStatus'], 'not_accessible');
    const assigns = () => apple.calls.filter((c) => c.call === 'assign').length;
    const before = assigns();
    await run();
    assert.equal(assigns(), before, 'nothing retried during the cool-down');
    apple.assignAnswer = () => 'SUCCESS';
    clock.advance(3_600_000);
    await run();
    assert.deepEqual(apple.calls.filter((c) => c.call === 'assign').at(-1)?.serials, ['FA000000', 'FA000001']);
    assert.equal(json(await h.api('GET', '/api/v1/devices/FA000000'))['profileAssignStatus'], 'assigned');
  });

  test('a profile Apple refuses keeps the devices synced and says why on the profile and the token', async () => {
    apple.add(serials('BR', 2));
    apple.failBefore = (call) =>
      call === 'define' ? new DepBadRequestError('POST /profile', 400, 'CONFIG_URL_INVALID') : undefined;
    assert.equal((await run()).outcome, 'synced');
    assert.equal((await stored()).size, 2);
    const profile = json(await h.api('GET', `/api/v1/abm-tokens/${tokenId}/enrollment-profile`));
    assert.match(profile['lastError'], /CONFIG_URL_INVALID/);
    assert.match((await token())['lastSyncError'], /refused the enrollment profile/);
    assert.equal(
      apple.calls.some((c) => c.call === 'assign'),
      false,
    );
  });

  test('a run whose lease was taken over commits nothing more', async () => {
    apple.add(serials('LL', 25));
    let takenAt = -1;
    apple.failBefore = (call, n) => {
      // Another process takes the token over while page 3 is on its way (pages are fetched
      // one ahead of the one being stored, so page 2 may land before or after the takeover).
      if (call === 'fetch' && n === 3) {
        takenAt = n;
        void h.orchard.db.kysely
          .updateTable('sync_states')
          .set({ lease_owner: 'someone-else' })
          .where('token_id', '=', tokenId)
          .execute();
      }
      return undefined;
    };
    const result = await run();
    assert.equal(takenAt, 3);
    assert.equal(result.outcome, 'lost');
    const kept = (await stored()).size;
    assert.ok(kept === 10 || kept === 20, `only pages committed before the takeover (${kept})`);
    assert.equal((await state()).leaseOwner, 'someone-else', 'the new holder keeps it');
  });
});
