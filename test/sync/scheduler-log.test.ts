// While the database is down every poll fails; the log says so once (then once a minute) and
// says when it works again, instead of an error line every poll.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncStateRepository } from '../../src/store/repositories/sync-states.js';
import { SyncScheduler, type SyncLog } from '../../src/sync/scheduler.js';
import type { SyncRunner } from '../../src/sync/runner.js';
import { ManualClock } from '../helpers/orchard.js';

test('a poll that keeps failing is logged once, and its recovery once, not at every poll', async () => {
  let databaseUp = false;
  let polls = 0;
  // Only what a poll touches; the database's failure is what is under test, not the repository.
  const states = {
    ensureForConnectedTokens: async () => {
      polls += 1;
      if (!databaseUp) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    },
    claimDue: async () => [],
  } as unknown as SyncStateRepository;
  const lines: { level: string; msg: string }[] = [];
  const capture =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push({ level, msg: String(args.find((a) => typeof a === 'string')) });
  const log = { info: capture('info'), warn: capture('warn'), error: capture('error') } as unknown as SyncLog;

  const scheduler = new SyncScheduler({
    runner: {} as SyncRunner,
    states,
    clock: new ManualClock(),
    options: { concurrency: 1, leaseMs: 60_000, pollMs: 2 },
    log,
  });
  scheduler.start(log);
  try {
    while (polls < 20) await sleep(2);
    databaseUp = true;
    const failedPolls = polls;
    while (polls < failedPolls + 5) await sleep(2);
  } finally {
    await scheduler.stop();
  }
  assert.deepEqual(lines, [
    { level: 'error', msg: 'looking for due syncs failed; retrying quietly until it works' },
    { level: 'info', msg: 'looking for due syncs works again' },
  ]);
});
