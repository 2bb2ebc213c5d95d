// The token list in keyset pages: every token reachable exactly once, in the order the token
// table shows (customer name, site name, creation; the id breaks ties), within the caller's
// scope on every page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeCursor } from '../../src/store/paging.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

interface Listed {
  id: string;
  customerName: string;
  siteName: string;
  createdAt: string;
}

const SAME_TIME = '2026-06-01T12:00:00.000Z';

for (const { engine, skip } of await engines()) {
  describe(`ABM token list paging on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    let repos: Repositories;
    const customers: Record<string, string> = {};
    const sites: Record<string, string> = {};
    /** Every token, in the order the list must give them. */
    let expected: Listed[] = [];
    let asTech: Record<string, string>;

    const get = (url: string, headers: Record<string, string> = {}) => t.api('GET', url, undefined, headers);

    /** A token straight into storage: the list reads it like one made through the API. */
    async function insertToken(id: string, customer: string, site: string, createdAt: string) {
      await repos.secrets.insert({ id: `key-${id}`, purpose: 'test', sealed: 'x', keyId: 'k', now: createdAt });
      await repos.abmTokens.insert(
        {
          id,
          customerId: customers[customer] ?? '',
          siteId: sites[`${customer}/${site}`] ?? '',
          depBaseUrl: 'x',
          now: createdAt,
        },
        { id: `kp-${id}`, certificatePem: 'pem', privateKeySecretId: `key-${id}`, now: createdAt },
      );
      expected.push({ id, customerName: customer, siteName: site, createdAt });
      // Names compare case-insensitively (their name keys), as the customer list sorts them.
      const key = (token: Listed) => [
        token.customerName.toLowerCase(),
        token.siteName.toLowerCase(),
        token.createdAt,
        token.id,
      ];
      expected.sort((a, b) => {
        const [ka, kb] = [key(a), key(b)];
        for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] ?? '') < (kb[i] ?? '') ? -1 : 1;
        return 0;
      });
    }

    /** Follows nextCursor to the end; asserts every page's size. */
    async function everyPage(query: string, limit: number, headers: Record<string, string> = {}) {
      const pages: Listed[][] = [];
      let cursor: string | undefined;
      do {
        const res = await get(
          `/api/v1/abm-tokens?limit=${limit}${query}${cursor === undefined ? '' : `&cursor=${cursor}`}`,
          headers,
        );
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as { items: Listed[]; nextCursor?: string };
        cursor = body.nextCursor;
        if (cursor !== undefined) assert.equal(body.items.length, limit, 'a page before the last one is full');
        else assert.ok(body.items.length <= limit);
        pages.push(body.items);
      } while (cursor !== undefined);
      return pages;
    }
    const ids = (tokens: readonly Listed[]) => tokens.map((token) => token.id);

    before(async () => {
      t = await startTestOrchard(engine);
      repos = repositoriesOf(t.orchard.db.kysely);
      // Names whose order differs from the order they are made in, and from their ids'.
      for (const [customer, siteNames] of [
        ['Zulu Traders', ['Depot']],
        ['Acme Corp', ['Warehouse', 'Main Office']],
        ['beta labs', ['HQ']],
      ] as const) {
        customers[customer] = (await t.api('POST', '/api/v1/customers', { name: customer })).json().id;
        for (const site of siteNames) {
          sites[`${customer}/${site}`] = (
            await t.api('POST', `/api/v1/customers/${customers[customer]}/sites`, { name: site })
          ).json().id;
        }
      }
      // 56 tokens at one site made in the same millisecond: only their ids tell them apart,
      // and they are inserted against their ids' order.
      for (let i = 55; i >= 0; i--)
        await insertToken(`same-${String(i).padStart(2, '0')}`, 'Acme Corp', 'Main Office', SAME_TIME);
      // Made later, with ids that sort first: creation comes before the id.
      await insertToken('a-later', 'Acme Corp', 'Main Office', '2026-06-02T00:00:00.000Z');
      await insertToken('z-earlier', 'Acme Corp', 'Main Office', '2026-05-01T00:00:00.000Z');
      await insertToken('warehouse-1', 'Acme Corp', 'Warehouse', SAME_TIME);
      await insertToken('beta-1', 'beta labs', 'HQ', SAME_TIME);
      await insertToken('beta-2', 'beta labs', 'HQ', '2026-05-01T00:00:00.000Z');
      await insertToken('zulu-1', 'Zulu Traders', 'Depot', SAME_TIME);

      await t.orchard.users.createUser({
        email: `paging-tech-${engine}@example.com`,
        password: 'technician password',
        role: 'technician',
        customerIds: [customers['beta labs'] ?? '', customers['Zulu Traders'] ?? ''],
      });
      const { key } = await t.orchard.apiKeys.createFromShell({
        name: 'tech',
        userEmail: `paging-tech-${engine}@example.com`,
      });
      asTech = { authorization: `Bearer ${key}` };
    });
    after(() => t.close());

    test('pages reach every token exactly once, sorted by customer, site, creation and id, even when all but the id are equal', async () => {
      for (const limit of [1, 7, 50, 500]) {
        const pages = await everyPage('', limit);
        const all = pages.flat();
        assert.deepEqual(ids(all), ids(expected), `limit=${limit}`);
        assert.equal(new Set(ids(all)).size, expected.length, `limit=${limit}: no token twice`);
        assert.equal(pages.length, Math.max(1, Math.ceil(expected.length / limit)), `limit=${limit}: page count`);
      }
    });

    test('without a limit a page holds 50 tokens and says where the next begins', async () => {
      const res = await get('/api/v1/abm-tokens');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.items.length, 50);
      assert.equal(typeof body.nextCursor, 'string');
      const rest = (await get(`/api/v1/abm-tokens?cursor=${body.nextCursor}`)).json();
      assert.deepEqual([...ids(body.items), ...ids(rest.items)], ids(expected));
      assert.equal(rest.nextCursor, undefined, 'the last page has no nextCursor');
      assert.ok(!('nextCursor' in rest));
    });

    test('customer and site filters page within their scope', async () => {
      const acme = customers['Acme Corp'];
      assert.deepEqual(
        ids((await everyPage(`&customerId=${acme}`, 9)).flat()),
        ids(expected.filter((token) => token.customerName === 'Acme Corp')),
      );
      const warehouse = sites['Acme Corp/Warehouse'];
      assert.deepEqual(ids((await everyPage(`&siteId=${warehouse}`, 1)).flat()), ['warehouse-1']);
      assert.deepEqual(ids((await everyPage(`&customerId=${customers['beta labs']}`, 1)).flat()), ['beta-2', 'beta-1']);
    });

    test('a technician pages through only their customers’ tokens, whatever cursor they send', async () => {
      const theirs = ids(expected.filter((token) => token.customerName !== 'Acme Corp'));
      assert.deepEqual(ids((await everyPage('', 1, asTech)).flat()), theirs);
      assert.deepEqual(ids((await everyPage('', 500, asTech)).flat()), theirs);
      // A cursor taken from an admin's page in the middle of another customer's tokens moves
      // the technician past them, and shows none of them.
      const adminPage = (await get('/api/v1/abm-tokens?limit=3')).json();
      const after = (await get(`/api/v1/abm-tokens?limit=500&cursor=${adminPage.nextCursor}`, asTech)).json();
      assert.deepEqual(ids(after.items), theirs);
      // Filtering by a customer they do not have finds nothing, as before paging.
      const other = await get(`/api/v1/abm-tokens?customerId=${customers['Acme Corp']}`, asTech);
      assert.equal(other.statusCode, 200);
      assert.deepEqual(other.json(), { items: [] });
    });

    test('a cursor still works after the token it stopped at is deleted, and a token added behind it is not shown again', async () => {
      const acme = customers['Acme Corp'];
      const acmeBefore = ids(expected.filter((token) => token.customerName === 'Acme Corp'));
      const first = (await get(`/api/v1/abm-tokens?limit=10&customerId=${acme}`)).json();
      assert.deepEqual(ids(first.items), acmeBefore.slice(0, 10));
      const lastSeen = acmeBefore[9] ?? '';
      assert.equal((await t.api('DELETE', `/api/v1/abm-tokens/${lastSeen}`)).statusCode, 204);
      expected = expected.filter((token) => token.id !== lastSeen);
      // Same site, same time, a smaller id: it sorts before the cursor, among tokens already read.
      await insertToken('same-00a', 'Acme Corp', 'Main Office', SAME_TIME);
      assert.ok(ids(expected).indexOf('same-00a') < ids(expected).indexOf(acmeBefore[8] ?? ''));

      const next = (await get(`/api/v1/abm-tokens?limit=500&customerId=${acme}&cursor=${first.nextCursor}`)).json();
      assert.deepEqual(ids(next.items), acmeBefore.slice(10), 'the rest, once each, in order');
      // Read again from the start, the list has both changes.
      assert.deepEqual(ids((await everyPage('', 10)).flat()), ids(expected));
    });

    test('a limit out of 1–500 or a cursor the list did not make answers 400 problem+json VALIDATION_FAILED', async () => {
      const forged = [
        'limit=0',
        'limit=501',
        'limit=ten',
        'cursor=%%%',
        'cursor=not-base64-json',
        `cursor=${encodeCursor(['C02ACME0001'])}`, // a devices cursor
        `cursor=${Buffer.from('[1,2,3,4]').toString('base64url')}`,
        `cursor=${Buffer.from('{"a":1}').toString('base64url')}`,
        `cursor=${'A'.repeat(2001)}`,
      ];
      for (const query of forged) {
        const res = await get(`/api/v1/abm-tokens?${query}`);
        assert.equal(res.statusCode, 400, query);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/, query);
        const problem = res.json();
        assert.equal(problem.code, 'VALIDATION_FAILED', query);
        assert.equal(problem.status, 400, query);
        assert.equal(typeof problem.detail, 'string', query);
      }
    });

    test('the OpenAPI document describes limit, cursor and nextCursor on the token list', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const list = doc.paths['/api/v1/abm-tokens'].get;
      const params = Object.fromEntries(
        list.parameters.map((p: { name: string; schema: unknown }) => [p.name, p.schema]),
      );
      assert.deepEqual(Object.keys(params).sort(), ['cursor', 'customerId', 'limit', 'siteId']);
      assert.deepEqual(params.limit, { type: 'integer', minimum: 1, maximum: 500, default: 50 });
      const page = list.responses['200'].content['application/json'].schema;
      assert.ok(page.properties.items);
      assert.deepEqual(page.properties.nextCursor, { type: 'string' });
      assert.deepEqual(page.required, ['items']);
    });
  });
}
