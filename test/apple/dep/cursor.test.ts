import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DepClient,
  DepCursorExhaustedError,
  DepCursorExpiredError,
  DepCursorInvalidError,
  DepCursorStuckError,
  DepUnavailableError,
  fetchAllDevices,
  recoverFromCursorError,
  syncDevices,
  type CursorPage,
} from '../../../src/apple/dep/index.js';
import { startFakeApple, testOptions, type FakeApple, type Recorded } from './support/fake-apple.js';

function serial(n: number): string {
  return `C02${String(n).padStart(6, '0')}`;
}

/** Apple's fetch over `total` devices: cursors are opaque (base64 of an offset), limit honoured. */
function pagedFetch(total: number) {
  return (request: Recorded) => {
    const body = (request.json ?? {}) as { cursor?: string; limit?: number };
    const offset = body.cursor === undefined ? 0 : Number(Buffer.from(body.cursor, 'base64url').toString());
    const limit = body.limit ?? 100;
    const end = Math.min(total, offset + limit);
    const devices = [];
    for (let n = offset; n < end; n++)
      devices.push({ serial_number: serial(n), model: 'iPad', os: 'iPadOS', profile_status: 'empty' });
    return {
      body: {
        cursor: Buffer.from(String(end)).toString('base64url'),
        devices,
        more_to_follow: end < total,
        fetched_until: '2025-06-01T12:00:00Z',
      },
    };
  };
}

async function collect(pages: AsyncIterable<CursorPage>): Promise<CursorPage[]> {
  const out: CursorPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function fresh(): Promise<{ apple: FakeApple; client: DepClient }> {
  const apple = await startFakeApple();
  return { apple, client: new DepClient(testOptions(apple).options) };
}

test('fetch paging yields every device exactly once, each page with the cursor to persist after it', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', pagedFetch(2500));

  const pages = await collect(fetchAllDevices(client, { limit: 1000 }));

  assert.deepEqual(
    pages.map((page) => page.devices.length),
    [1000, 1000, 500],
  );
  assert.deepEqual(
    pages.map((page) => page.moreToFollow),
    [true, true, false],
  );
  const seen = pages.flatMap((page) => page.devices.map((device) => device.serialNumber));
  assert.equal(seen.length, 2500);
  assert.equal(new Set(seen).size, 2500);
  // The request after each page carries exactly that page's cursor: persisting it resumes there.
  const sent = apple.calls('POST /server/devices').map((request) => (request.json as { cursor?: string }).cursor);
  assert.deepEqual(sent, [undefined, pages[0]?.cursor, pages[1]?.cursor]);
  assert.ok(apple.calls('POST /server/devices').every((request) => (request.json as { limit: number }).limit === 1000));
});

test('fetch paging resumes from a persisted cursor', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', pagedFetch(250));
  const resumeAt = Buffer.from('200').toString('base64url');

  const pages = await collect(fetchAllDevices(client, { cursor: resumeAt, limit: 100 }));
  assert.deepEqual(
    pages.flatMap((page) => page.devices.map((device) => device.serialNumber)),
    [...Array(50).keys()].map((n) => serial(200 + n)),
  );
});

test('Apple echoing the same cursor with more_to_follow and no devices stops with DEP_CURSOR_STUCK instead of spinning', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', (request) =>
    (request.json as { cursor?: string }).cursor === undefined
      ? { body: { cursor: 'MTAw', devices: [{ serial_number: 'A1' }], more_to_follow: true } }
      : { body: { cursor: 'MTAw', devices: [], more_to_follow: true } },
  );

  const yielded: CursorPage[] = [];
  const error: unknown = await (async () => {
    for await (const page of fetchAllDevices(client, { limit: 100 })) yielded.push(page);
  })().catch((caught: unknown) => caught);

  assert.ok(error instanceof DepCursorStuckError);
  assert.equal(error.code, 'DEP_CURSOR_STUCK');
  assert.match(error.message, /known Apple fault/);
  assert.deepEqual(
    yielded.map((page) => page.cursor),
    ['MTAw', 'MTAw'],
  );
  assert.equal(apple.calls('POST /server/devices').length, 3);
});

test('the same cursor echoed with an identical page of devices is stuck too', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /devices/sync', {
    body: {
      cursor: 'S1',
      devices: [{ serial_number: 'A1', op_type: 'modified', op_date: '2025-06-01T10:00:00Z' }],
      more_to_follow: true,
    },
  });
  await assert.rejects(collect(syncDevices(client, 'S1')), DepCursorStuckError);
  // The first answer is new devices; the next two repeat it on the same cursor.
  assert.equal(apple.calls('POST /devices/sync').length, 3);
});

test('one echo followed by progress is tolerated', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /devices/sync', [
    { body: { cursor: 'S1', devices: [], more_to_follow: true } },
    { body: { cursor: 'S2', devices: [{ serial_number: 'B1', op_type: 'added' }], more_to_follow: true } },
    { body: { cursor: 'S3', devices: [], more_to_follow: false } },
  ]);
  const pages = await collect(syncDevices(client, 'S1', { limit: 500 }));
  assert.deepEqual(
    pages.map((page) => page.cursor),
    ['S1', 'S2', 'S3'],
  );
  assert.deepEqual(
    apple.calls('POST /devices/sync').map((request) => request.json),
    [
      { cursor: 'S1', limit: 500 },
      { cursor: 'S1', limit: 500 },
      { cursor: 'S2', limit: 500 },
    ],
  );
});

test('sync pages carry op_type and op_date, and each page its cursor', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /devices/sync', [
    {
      body: {
        cursor: 'S2',
        devices: [{ serial_number: 'A1', op_type: 'added', op_date: '2025-06-01T10:00:00Z' }],
        more_to_follow: true,
      },
    },
    {
      body: {
        cursor: 'S3',
        devices: [{ serial_number: 'A1', op_type: 'deleted', op_date: '2025-06-01T11:00:00Z' }],
        more_to_follow: false,
      },
    },
  ]);
  const pages = await collect(syncDevices(client, 'S1'));
  assert.deepEqual(
    pages.map((page) => [page.cursor, page.devices[0]?.opType, page.devices[0]?.opDate]),
    [
      ['S2', 'added', '2025-06-01T10:00:00.000Z'],
      ['S3', 'deleted', '2025-06-01T11:00:00.000Z'],
    ],
  );
});

test('EXHAUSTED_CURSOR on a fetch tells the caller to sync from the same cursor; a refused sync cursor means a full fetch', async (t) => {
  const { apple, client } = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', { status: 400, body: 'EXHAUSTED_CURSOR' });
  apple.route('POST /devices/sync', { body: { cursor: 'S2', devices: [], more_to_follow: false } });

  const error: unknown = await collect(fetchAllDevices(client, { cursor: 'S1' })).catch((caught: unknown) => caught);
  assert.ok(error instanceof DepCursorExhaustedError);
  const recovery = recoverFromCursorError(error, { during: 'fetch', cursor: 'S1' });
  assert.deepEqual(recovery, { next: 'sync', cursor: 'S1' });
  const pages = await collect(syncDevices(client, recovery.cursor));
  assert.equal(pages[0]?.cursor, 'S2');

  assert.deepEqual(
    recoverFromCursorError(new DepCursorExhaustedError('POST /devices/sync'), { during: 'sync', cursor: 'S1' }),
    { next: 'full_fetch' },
  );
  assert.deepEqual(
    recoverFromCursorError(new DepCursorExpiredError('POST /devices/sync'), { during: 'sync', cursor: 'S1' }),
    { next: 'full_fetch' },
  );
  assert.deepEqual(
    recoverFromCursorError(new DepCursorInvalidError('POST /devices/sync', 'CURSOR_REQUIRED'), {
      during: 'sync',
      cursor: '',
    }),
    { next: 'full_fetch' },
  );
  assert.equal(
    recoverFromCursorError(new DepUnavailableError('POST /devices/sync', 'h', 'HTTP 503', 5, true), {
      during: 'sync',
      cursor: 'S1',
    }),
    null,
  );
});
