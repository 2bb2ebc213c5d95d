import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { appleDevice, placeToken, storeDevices } from '../helpers/devices.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { postgresSkipReason } from '../helpers/services.js';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/**
 * The state tabs of one customer: its devices filtered by a status nearly all of them share.
 * PostgreSQL must walk the customer's (customer, serial) index in order and stop after a page,
 * not fetch and sort every device of the customer (60 ms at a million devices, issue 10).
 */
describe('device list plans on PostgreSQL', { skip: await postgresSkipReason() }, () => {
  const NOW = '2026-06-01T12:00:00.000Z';
  const PER_CUSTOMER = 4000;
  let database: TestDatabase;
  let db: Db;
  let repos: Repositories;
  const captured: Array<{ sql: string; parameters: readonly unknown[] }> = [];

  before(async () => {
    database = await createTestDatabase('postgres');
    db = openDb(loadConfig(database.env).database, {
      onQuery: (text, parameters) => captured.push({ sql: text, parameters }),
    });
    await migrateToLatest(db);
    repos = repositoriesOf(db.kysely);
    for (const customer of ['a', 'b']) {
      const place = { tokenId: `T${customer}`, customerId: customer, siteId: `s${customer}` };
      await placeToken(repos, place, NOW);
      const serials = Array.from(
        { length: PER_CUSTOMER },
        (_, i) => `${customer.toUpperCase()}${String(i).padStart(6, '0')}`,
      );
      for (let i = 0; i < serials.length; i += 1000) {
        await storeDevices(
          repos,
          place,
          serials.slice(i, i + 1000).map((s) => appleDevice(s)),
          NOW,
        );
      }
    }
    // What autovacuum does in production once a sync has written this many rows.
    await sql`analyze devices`.execute(db.kysely);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  /** The plan of the first statement `run` makes that `which` picks, as its nodes (type and index). */
  async function planOf(
    run: () => Promise<unknown>,
    which: RegExp = /^\s*select\b[^]*\border by\b/i,
  ): Promise<string[]> {
    captured.length = 0;
    await run();
    const page = captured.find((q) => which.test(q.sql));
    assert.ok(page, 'the statement ran');
    const { rows } = await db.kysely.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      CompiledQuery.raw(`explain (format json) ${page.sql}`, [...page.parameters]),
    );
    const nodes: string[] = [];
    const walk = (node: PlanNode) => {
      nodes.push(node['Index Name'] === undefined ? node['Node Type'] : `${node['Node Type']} ${node['Index Name']}`);
      if (node['Index Cond'] !== undefined) nodes.push(`  on ${node['Index Cond']}`);
      for (const child of node.Plans ?? []) walk(child);
    };
    const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
    assert.ok(plan, 'explain gave a plan');
    walk(plan);
    return nodes;
  }

  for (const [what, filter] of [
    ['profile status every device has', { profileStatus: 'empty' }],
    ['enrollment state every device has', { enrollmentState: 'awaiting_enrollment' }],
  ] as const) {
    test(`a customer's devices by a ${what}: walked in serial order, no sort of the whole customer`, async () => {
      const plan = await planOf(() => repos.devices.list({ customerId: 'a', ...filter }, { limit: 50 }));
      assert.ok(!plan.includes('Sort'), plan.join(' → '));
      assert.match(plan.join(' → '), /^Limit → Index (Only )?Scan devices_(customer_id_serial_idx|pkey)$/);
    });
  }

  test('assignment outcomes find their batch by primary key, not by reading the token', async () => {
    // A batch of 100 outcomes among the token's 4,000 devices. Read through a set built from
    // JSON, PostgreSQL at times re-read the JSON for every device of the token (2–3 s a batch).
    const serials = Array.from({ length: 100 }, (_, i) => `A${String(i * 40).padStart(6, '0')}`);
    const plan = await planOf(
      () =>
        db.kysely.transaction().execute(async (tx) => {
          await repositoriesOf(tx).deviceWrites.recordAssignments(
            'Ta',
            serials.map((serialNumber) => ({ serialNumber, status: 'assigned' as const })),
            { profileUuid: 'P1', now: NOW, retryAt: NOW },
          );
        }),
      /^\s*update "devices"/i,
    );
    const shown = plan.join(' | ');
    assert.match(shown, /Index Scan devices_pkey \|\s+on \(serial_number = ANY \(/, shown);
    assert.doesNotMatch(shown, /Seq Scan|Function Scan|ProjectSet|Bitmap/, shown);
  });
});
