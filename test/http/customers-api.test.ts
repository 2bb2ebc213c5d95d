import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

function assertProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  assert.equal(
    res.statusCode,
    status,
    `expected ${status} ${code}, got ${res.statusCode}: ${JSON.stringify(res.json())}`,
  );
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  assert.equal(body['code'], code);
  assert.equal(body['status'], status);
  assert.equal(typeof body['title'], 'string');
  assert.equal(typeof body['type'], 'string');
  assert.ok(typeof body['detail'] === 'string' && body['detail'].length > 10, 'the detail tells the user what to do');
  return body;
}

for (const { engine, skip } of await engines()) {
  describe(`customers and sites API on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    before(async () => {
      t = await startTestOrchard(engine);
    });
    after(() => t.close());

    test('a customer is created with its name trimmed and listed with its site count', async () => {
      const created = await t.api('POST', '/api/v1/customers', { name: '  Acme Corp  ' });
      assert.equal(created.statusCode, 201);
      const customer = created.json();
      assert.equal(customer.name, 'Acme Corp');
      assert.equal(customer.siteCount, 0);
      assert.match(customer.id, /^[0-9a-f-]{36}$/);

      const site = await t.api('POST', `/api/v1/customers/${customer.id}/sites`, { name: 'Main Office' });
      assert.equal(site.statusCode, 201);
      assert.equal(site.json().customerId, customer.id);

      const list = await t.api('GET', '/api/v1/customers');
      const listed = list.json().items.find((c: { id: string }) => c.id === customer.id);
      assert.equal(listed.siteCount, 1);
      assert.equal((await t.api('GET', `/api/v1/customers/${customer.id}`)).json().siteCount, 1);
      assert.deepEqual(
        (await t.api('GET', `/api/v1/customers/${customer.id}/sites`))
          .json()
          .items.map((s: { name: string }) => s.name),
        ['Main Office'],
      );
    });

    test('a duplicate name, in any case, is refused with 409 NAME_TAKEN and nothing changes', async () => {
      await t.api('POST', '/api/v1/customers', { name: 'Globex' });
      const before = (await t.api('GET', '/api/v1/customers?q=globex')).json().items;
      const body = assertProblem(await t.api('POST', '/api/v1/customers', { name: 'GLOBEX ' }), 409, 'NAME_TAKEN');
      assert.match(String(body['detail']), /Globex|GLOBEX/);
      assert.deepEqual((await t.api('GET', '/api/v1/customers?q=globex')).json().items, before);
    });

    test('site names are unique within their customer only', async () => {
      const a = (await t.api('POST', '/api/v1/customers', { name: 'Initech' })).json();
      const b = (await t.api('POST', '/api/v1/customers', { name: 'Umbrella' })).json();
      assert.equal((await t.api('POST', `/api/v1/customers/${a.id}/sites`, { name: 'HQ' })).statusCode, 201);
      assert.equal((await t.api('POST', `/api/v1/customers/${b.id}/sites`, { name: 'HQ' })).statusCode, 201);
      assertProblem(await t.api('POST', `/api/v1/customers/${a.id}/sites`, { name: 'hq' }), 409, 'NAME_TAKEN');
      const second = (await t.api('POST', `/api/v1/customers/${a.id}/sites`, { name: 'Branch' })).json();
      assertProblem(await t.api('PATCH', `/api/v1/sites/${second.id}`, { name: 'HQ' }), 409, 'NAME_TAKEN');
      const renamed = await t.api('PATCH', `/api/v1/sites/${second.id}`, { name: 'Branch North' });
      assert.equal(renamed.statusCode, 200);
      assert.equal(renamed.json().name, 'Branch North');
    });

    test('empty, blank, too long and non-text names are refused with 400 VALIDATION_FAILED', async () => {
      for (const name of ['', '   ', 'x'.repeat(201)]) {
        assertProblem(await t.api('POST', '/api/v1/customers', { name }), 400, 'VALIDATION_FAILED');
      }
      assertProblem(await t.api('POST', '/api/v1/customers', { name: 42 }), 400, 'VALIDATION_FAILED');
      assertProblem(await t.api('POST', '/api/v1/customers', {}), 400, 'VALIDATION_FAILED');
      assert.equal(
        (await t.api('POST', '/api/v1/customers', { name: 'y'.repeat(200) })).statusCode,
        201,
        '200 characters is allowed',
      );
    });

    test('unknown ids answer 404 NOT_FOUND on every verb', async () => {
      assertProblem(await t.api('GET', '/api/v1/customers/nope'), 404, 'NOT_FOUND');
      assertProblem(await t.api('PATCH', '/api/v1/customers/nope', { name: 'x' }), 404, 'NOT_FOUND');
      assertProblem(await t.api('DELETE', '/api/v1/customers/nope'), 404, 'NOT_FOUND');
      assertProblem(await t.api('GET', '/api/v1/customers/nope/sites'), 404, 'NOT_FOUND');
      assertProblem(await t.api('POST', '/api/v1/customers/nope/sites', { name: 'x' }), 404, 'NOT_FOUND');
      assertProblem(await t.api('PATCH', '/api/v1/sites/nope', { name: 'x' }), 404, 'NOT_FOUND');
      assertProblem(await t.api('DELETE', '/api/v1/sites/nope'), 404, 'NOT_FOUND');
      assertProblem(await t.api('GET', '/api/v1/no-such-endpoint'), 404, 'NOT_FOUND');
    });

    test('a customer with sites cannot be deleted (409 CUSTOMER_NOT_EMPTY) until its sites are gone', async () => {
      const c = (await t.api('POST', '/api/v1/customers', { name: 'Deletable' })).json();
      const s = (await t.api('POST', `/api/v1/customers/${c.id}/sites`, { name: 'Only site' })).json();
      const body = assertProblem(await t.api('DELETE', `/api/v1/customers/${c.id}`), 409, 'CUSTOMER_NOT_EMPTY');
      assert.match(String(body['detail']), /1 site/);
      assert.equal((await t.api('GET', `/api/v1/customers/${c.id}`)).statusCode, 200, 'still there');
      assert.equal((await t.api('DELETE', `/api/v1/sites/${s.id}`)).statusCode, 204);
      assert.equal((await t.api('DELETE', `/api/v1/customers/${c.id}`)).statusCode, 204);
      assertProblem(await t.api('GET', `/api/v1/customers/${c.id}`), 404, 'NOT_FOUND');
    });

    test('paging with limit and nextCursor returns every customer exactly once', async () => {
      for (let i = 0; i < 12; i++)
        await t.api('POST', '/api/v1/customers', { name: `Pager ${String(i).padStart(2, '0')}` });
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await t.api(
          'GET',
          `/api/v1/customers?q=pager&limit=5${cursor === undefined ? '' : `&cursor=${cursor}`}`,
        );
        assert.equal(res.statusCode, 200);
        names.push(...res.json().items.map((c: { name: string }) => c.name));
        cursor = res.json().nextCursor;
      } while (cursor !== undefined);
      assert.equal(names.length, 12);
      assert.deepEqual(names, [...names].sort());
      assertProblem(await t.api('GET', '/api/v1/customers?cursor=garbage'), 400, 'VALIDATION_FAILED');
      assertProblem(await t.api('GET', '/api/v1/customers?limit=0'), 400, 'VALIDATION_FAILED');
      assertProblem(await t.api('GET', '/api/v1/customers?limit=100000'), 400, 'VALIDATION_FAILED');
    });

    test('malformed JSON, a wrong content type and an oversized body get 4xx problems, never a 500', async () => {
      const count = (await t.api('GET', '/api/v1/customers?limit=500')).json().items.length;
      const malformed = await t.api('POST', '/api/v1/customers', '{"name": "oops"', {
        'content-type': 'application/json',
      });
      assertProblem(malformed, 400, 'MALFORMED_JSON');
      const empty = await t.api('POST', '/api/v1/customers', '', { 'content-type': 'application/json' });
      assertProblem(empty, 400, 'MALFORMED_JSON');
      const text = await t.api('POST', '/api/v1/customers', 'name=x', { 'content-type': 'text/plain' });
      assertProblem(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const huge = await t.api('POST', '/api/v1/customers', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), {
        'content-type': 'application/json',
      });
      assertProblem(huge, 413, 'BODY_TOO_LARGE');
      assert.equal(
        (await t.api('GET', '/api/v1/customers?limit=500')).json().items.length,
        count,
        'nothing was stored',
      );
    });

    test('every API route needs authentication: none or a wrong key gets 401; /healthz does not', async () => {
      const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/customers' });
      assertProblem(anonymous, 401, 'UNAUTHENTICATED');
      const wrong = await t.app.inject({
        method: 'GET',
        url: '/api/v1/customers',
        headers: { authorization: 'Bearer not-a-key' },
      });
      assertProblem(wrong, 401, 'INVALID_API_KEY');
      const write = await t.app.inject({ method: 'POST', url: '/api/v1/customers', payload: { name: 'Sneaky' } });
      assertProblem(write, 401, 'UNAUTHENTICATED');
      assert.equal((await t.api('GET', '/api/v1/customers?q=sneaky')).json().items.length, 0);

      const health = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200);
      assert.deepEqual(health.json(), { status: 'ok' });
      const doubled = await t.app.inject({ method: 'GET', url: '//healthz' });
      assert.equal(doubled.statusCode, 200, 'a doubled slash from a base URL ending in / still routes');
    });

    test('a technician sees only the customers assigned to them; others answer 404', async () => {
      const mine = (await t.api('POST', '/api/v1/customers', { name: 'Scoped mine' })).json();
      const theirs = (await t.api('POST', '/api/v1/customers', { name: 'Scoped theirs' })).json();
      await t.orchard.users.createUser({
        email: `tech-${engine}@example.com`,
        password: 'technician password',
        role: 'technician',
        customerIds: [mine.id],
      });
      const { key } = await t.orchard.apiKeys.createFromShell({
        name: 'tech',
        userEmail: `tech-${engine}@example.com`,
      });
      const asTech = (method: string, url: string, body?: unknown) =>
        t.api(method, url, body, { authorization: `Bearer ${key}` });

      const list = (await asTech('GET', '/api/v1/customers?q=scoped')).json().items;
      assert.deepEqual(
        list.map((c: { name: string }) => c.name),
        ['Scoped mine'],
      );
      assertProblem(await asTech('GET', `/api/v1/customers/${theirs.id}`), 404, 'NOT_FOUND');
      assertProblem(await asTech('POST', `/api/v1/customers/${theirs.id}/sites`, { name: 'x' }), 404, 'NOT_FOUND');
      assert.equal((await asTech('POST', `/api/v1/customers/${mine.id}/sites`, { name: 'Tech site' })).statusCode, 201);
      assertProblem(await asTech('POST', '/api/v1/customers', { name: 'Tech made' }), 403, 'FORBIDDEN');
    });

    test('responses carry a request id, and metrics count requests by route pattern', async () => {
      const res = await t.api('GET', '/api/v1/customers');
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(metrics.statusCode, 200);
      assert.match(
        metrics.body,
        /orchard_http_requests_total\{method="GET",route="\/api\/v1\/customers",status="200"\} \d+/,
      );
      assert.doesNotMatch(metrics.body, /route="\/api\/v1\/customers\/[0-9a-f]{8}-/, 'ids never become label values');
    });

    test('the OpenAPI document describes the customer routes', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json();
      assert.equal(doc.openapi, '3.1.0');
      for (const path of [
        '/api/v1/customers',
        '/api/v1/customers/{id}',
        '/api/v1/customers/{id}/sites',
        '/api/v1/sites/{id}',
      ]) {
        assert.ok(doc.paths[path], `${path} is documented`);
      }
      const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.body, /<html/i);
    });
  });
}
