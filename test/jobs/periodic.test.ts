import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PeriodicJob } from '../../src/jobs/periodic.js';

test('a periodic job keeps running after a failing pass, never runs two passes at once, and stop() waits for the pass in progress', async () => {
  let passes = 0;
  let inPass = 0;
  let overlapped = false;
  let finishedAfterStop = false;
  const errors: unknown[] = [];
  const job = new PeriodicJob(
    5,
    async () => {
      passes += 1;
      inPass += 1;
      overlapped ||= inPass > 1;
      try {
        await sleep(15);
        if (passes === 1) throw new Error('first pass fails');
      } finally {
        inPass -= 1;
        finishedAfterStop = true;
      }
    },
    (error) => errors.push(error),
  );
  job.start();
  // Stop while a pass is running (checked and stopped in one tick, so it cannot end in between).
  while (passes < 3 || inPass === 0) await sleep(1);
  finishedAfterStop = false;
  await job.stop();
  const stoppedAt = passes;
  await sleep(40);

  assert.equal(errors.length, 1, 'the failure was reported once');
  assert.equal(overlapped, false);
  assert.equal(finishedAfterStop, true, 'stop() returned only after the running pass ended');
  assert.equal(passes, stoppedAt, 'no pass starts after stop()');
});
