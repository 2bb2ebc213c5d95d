import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestLogBindings } from '../../src/http/logging.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';

// The request id does not touch the database: one engine is enough.
describe('request ids', () => {
  let t: TestOrchard;
  before(async () => {
    t = await startTestOrchard('sqlite');
  });
  after(() => t.close());

  test('Orchard answers with its own X-Request-Id, never the one the client sent', async () => {
    const sent = 'client-chosen-id';
    const first = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': sent } });
    const second = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': sent } });
    for (const res of [first, second]) {
      assert.notEqual(res.headers['x-request-id'], sent);
      assert.match(
        String(res.headers['x-request-id']),
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id'], 'two requests, two ids');
  });

  test("the client's X-Request-Id is logged beside Orchard's as clientRequestId, cut to 128 characters", () => {
    assert.deepEqual(requestLogBindings({ reqId: 'ours' }, { 'x-request-id': 'theirs' }), {
      reqId: 'ours',
      clientRequestId: 'theirs',
    });
    assert.deepEqual(requestLogBindings({ reqId: 'ours' }, {}), { reqId: 'ours' });
    const long = requestLogBindings({ reqId: 'ours' }, { 'x-request-id': 'x'.repeat(10_000) });
    assert.equal(long['clientRequestId'], 'x'.repeat(128));
  });
});
