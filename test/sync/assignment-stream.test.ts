import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AssignOutcome } from '../../src/store/repositories/device-writes.js';
import { AssignmentStream } from '../../src/sync/profile-assigner.js';

/** A stage that finishes when the test says so, recording what it was given. */
function stage<I, O>(result: (input: I) => O) {
  const calls: I[] = [];
  const pending: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  let running = 0;
  let maxRunning = 0;
  const run = (input: I): Promise<O> => {
    calls.push(input);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    return new Promise<O>((resolve, reject) => {
      pending.push({
        resolve: () => {
          running -= 1;
          resolve(result(input));
        },
        reject: (error) => {
          running -= 1;
          reject(error);
        },
      });
    });
  };
  return {
    run,
    calls,
    maxRunning: () => maxRunning,
    /** Finishes the oldest call still running. */
    finish: async (error?: unknown) => {
      const next = pending.shift();
      assert.ok(next !== undefined, 'a call is running');
      if (error === undefined) next.resolve();
      else next.reject(error);
      await new Promise((r) => setImmediate(r));
    },
  };
}

const assigned = (serials: readonly string[]) => ({
  outcomes: serials.map((serialNumber): AssignOutcome => ({ serialNumber, status: 'assigned' })),
  throttledUntil: serials.includes('THROTTLE') ? '2026-06-01T13:00:00.000Z' : null,
});
const tick = () => new Promise((r) => setImmediate(r));

describe('assignment while the pull goes on', () => {
  test('one batch at Apple at a time, stored in order while the next is at Apple; the puller waits when both are busy', async () => {
    const ask = stage(assigned);
    const store = stage((answer: { outcomes: readonly AssignOutcome[] }) =>
      answer.outcomes.map((o) => o.serialNumber).join(),
    );
    const stream = new AssignmentStream(ask.run, (answer) => store.run(answer).then(() => undefined));

    let firstDone = false;
    void stream.push(['A1']).then(() => (firstDone = true));
    await tick();
    assert.equal(firstDone, true, 'nothing before it: the puller goes on at once');
    let secondDone = false;
    const second = stream.push(['B1']).then(() => (secondDone = true));
    await tick();
    assert.equal(ask.calls.length, 1, 'B waits for A’s answer');
    await ask.finish(); // A answered: A is stored, B goes to Apple
    assert.deepEqual(ask.calls, [['A1'], ['B1']]);
    assert.equal(store.calls.length, 1);
    assert.equal(secondDone, false, 'the puller waits while A is stored and B is at Apple');
    await store.finish();
    await second;
    assert.equal(secondDone, true);
    await ask.finish();
    await store.finish();
    assert.equal(await stream.drain(), null);
    assert.equal(ask.maxRunning(), 1);
    assert.equal(store.maxRunning(), 1);
  });

  test('a failed call to Apple fails the next hand-over and the drain', async () => {
    const ask = stage(assigned);
    const stream = new AssignmentStream(ask.run, () => Promise.resolve());
    await stream.push(['A1']);
    const next = assert.rejects(stream.push(['B1']), /Apple is down/);
    await ask.finish(new Error('Apple is down'));
    await next;
    await assert.rejects(stream.drain(), /Apple is down/);
    assert.equal(ask.calls.length, 1, 'B never went to Apple');
  });

  test('after THROTTLED nothing more goes to Apple, and the drain says until when', async () => {
    const ask = stage(assigned);
    const stream = new AssignmentStream(ask.run, () => Promise.resolve());
    await stream.push(['THROTTLE']);
    const next = stream.push(['B1']);
    await ask.finish();
    await next;
    assert.equal(ask.calls.length, 1);
    assert.equal(await stream.drain(), '2026-06-01T13:00:00.000Z');
  });
});
