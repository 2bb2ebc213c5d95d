import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Device } from '../../src/apple/dep/index.js';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import type { Device as StoredDevice } from '../../src/store/repositories/devices.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { appleDevice, placeToken } from '../helpers/devices.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

/**
 * The sync's page rules (store/repositories/device-writes.ts), one table of cases run on
 * every engine: what is stored before, the page a token's sync writes, what is stored after.
 * And the device counts the database maintains, checked against a recount after every kind
 * of write.
 */
const NOW = '2026-06-01T12:00:00.000Z';
const at = (minute: number) => `2026-06-01T11:${String(minute).padStart(2, '0')}:00.000Z`;

type TokenId = 'A' | 'B';
const PLACEMENT: Record<TokenId, { customerId: string; siteId: string }> = {
  A: { customerId: 'c-a', siteId: 's-a' },
  B: { customerId: 'c-b', siteId: 's-b' },
};
/** Token A's profile as Apple holds it. */
const PROFILE_A = 'PROFILE-A';

type Step = { token: TokenId; devices: Device[] } | ((repos: Repositories) => Promise<void>);
type Expected = Partial<
  Pick<
    StoredDevice,
    | 'abmTokenId'
    | 'customerId'
    | 'enrollmentState'
    | 'removedAt'
    | 'profileAssignStatus'
    | 'profileAssignError'
    | 'color'
    | 'profileStatus'
  > & { opDate: string | null }
>;

interface Case {
  readonly name: string;
  readonly before?: readonly Step[];
  readonly page: { token: TokenId; devices: Device[] };
  /** Per serial: what is stored after the page, or `absent`. */
  readonly expect: Record<string, Expected | 'absent'>;
}

const d = appleDevice;
const BIG = Array.from({ length: 700 }, (_, i) => `BIG${String(i).padStart(4, '0')}`);
const failedUntil = (serials: string[], retryAt: string) => async (repos: Repositories) =>
  repos.deviceWrites.recordAssignments(
    'A',
    serials.map((serialNumber) => ({ serialNumber, status: 'failed', error: 'FAILED' })),
    { profileUuid: PROFILE_A, now: NOW, retryAt },
  );

const CASES: readonly Case[] = [
  {
    name: 'within a page the latest op_date per serial wins, a tie going to the later entry',
    page: {
      token: 'A',
      devices: [
        d('L1', { opType: 'modified', opDate: at(5), color: 'late' }),
        d('L1', { opType: 'added', opDate: at(1), color: 'early' }),
        d('L2', { opType: 'modified', opDate: at(3), color: 'first' }),
        d('L2', { opType: 'modified', opDate: at(3), color: 'second' }),
      ],
    },
    expect: { L1: { color: 'late', opDate: at(5) }, L2: { color: 'second' } },
  },
  {
    name: 'a page longer than one statement takes (SQLite writes a few hundred rows each): the same rules',
    page: {
      token: 'A',
      devices: [
        ...BIG.map((serial) => d(serial, { opType: 'modified', opDate: at(2), color: 'first' })),
        ...BIG.map((serial) => d(serial, { opType: 'modified', opDate: at(2), color: 'second' })),
      ],
    },
    expect: Object.fromEntries(BIG.map((serial) => [serial, { color: 'second', abmTokenId: 'A' }])),
  },
  {
    name: 'an older deletion repeated after a newer change in the same page loses',
    before: [{ token: 'A', devices: [d('L3')] }],
    page: {
      token: 'A',
      devices: [d('L3', { opType: 'modified', opDate: at(9) }), d('L3', { opType: 'deleted', opDate: at(2) })],
    },
    expect: { L3: { enrollmentState: 'awaiting_enrollment', removedAt: null, opDate: at(9) } },
  },
  {
    name: 'new devices are stored under the token, its customer and site, needing the profile',
    page: { token: 'A', devices: [d('N2'), d('N1')] },
    expect: {
      N1: {
        abmTokenId: 'A',
        customerId: 'c-a',
        enrollmentState: 'awaiting_enrollment',
        profileAssignStatus: 'pending',
      },
      N2: { abmTokenId: 'A', customerId: 'c-a', profileAssignStatus: 'pending' },
    },
  },
  {
    name: 'a device carrying the token’s profile is assigned; another profile or none needs it',
    page: {
      token: 'A',
      devices: [
        d('P1', { profileStatus: 'assigned', profileUuid: PROFILE_A }),
        d('P2', { profileStatus: 'pushed', profileUuid: PROFILE_A }),
        d('P3', { profileStatus: 'assigned', profileUuid: 'SOMEONE-ELSE' }),
        d('P4', { profileStatus: 'removed' }),
      ],
    },
    expect: {
      P1: { profileAssignStatus: 'assigned' },
      P2: { profileAssignStatus: 'assigned' },
      P3: { profileAssignStatus: 'pending' },
      P4: { profileAssignStatus: 'pending', profileStatus: 'removed' },
    },
  },
  {
    name: 'a device Apple refused recently waits out its cool-down; one past it needs the profile again',
    before: [
      { token: 'A', devices: [d('F1'), d('F2')] },
      failedUntil(['F1'], '2026-06-01T13:00:00.000Z'),
      failedUntil(['F2'], '2026-06-01T11:00:00.000Z'),
    ],
    page: { token: 'A', devices: [d('F1'), d('F2')] },
    expect: {
      F1: { profileAssignStatus: 'failed', profileAssignError: 'FAILED' },
      F2: { profileAssignStatus: 'pending', profileAssignError: null },
    },
  },
  {
    name: 'deleted removes only this token’s devices, with Apple’s date; a device never seen is not stored',
    before: [
      { token: 'A', devices: [d('D1')] },
      { token: 'B', devices: [d('D2')] },
    ],
    page: {
      token: 'A',
      devices: [
        d('D1', { opType: 'deleted', opDate: at(7) }),
        d('D2', { opType: 'deleted', opDate: at(7) }),
        d('D3', { opType: 'deleted', opDate: at(7) }),
      ],
    },
    expect: {
      D1: { abmTokenId: 'A', enrollmentState: 'removed', removedAt: at(7), opDate: at(7) },
      D2: { abmTokenId: 'B', enrollmentState: 'awaiting_enrollment', removedAt: null },
      D3: 'absent',
    },
  },
  {
    name: 'a deletion older than what is stored is ignored',
    before: [{ token: 'A', devices: [d('D4', { opType: 'added', opDate: at(8) })] }],
    page: { token: 'A', devices: [d('D4', { opType: 'deleted', opDate: at(6) })] },
    expect: { D4: { enrollmentState: 'awaiting_enrollment', removedAt: null, opDate: at(8) } },
  },
  {
    name: 'a device moved here from another token follows, unless the news is older than what that token said',
    before: [
      {
        token: 'B',
        devices: [d('M1', { opType: 'added', opDate: at(5) }), d('M2', { opType: 'added', opDate: at(5) })],
      },
    ],
    page: {
      token: 'A',
      devices: [d('M1', { opType: 'modified', opDate: at(6) }), d('M2', { opType: 'modified', opDate: at(4) })],
    },
    expect: {
      M1: { abmTokenId: 'A', customerId: 'c-a', opDate: at(6) },
      M2: { abmTokenId: 'B', customerId: 'c-b', opDate: at(5) },
    },
  },
  {
    name: 'a change without a profile status never takes a device from the token holding it, unless that token lost it',
    before: [
      {
        token: 'B',
        devices: [d('X1', { opType: 'added', opDate: at(8) }), d('X2', { opType: 'added', opDate: at(1) })],
      },
      { token: 'B', devices: [d('X2', { opType: 'deleted', opDate: at(8) })] },
      { token: 'A', devices: [d('X3', { opType: 'added', opDate: at(1) })] },
    ],
    page: {
      token: 'A',
      devices: [
        // Moves within one second: op_date cannot tell the order, Apple's present state can.
        d('X1', { opType: 'modified', opDate: at(8), profileStatus: null, color: 'stale' }),
        d('X2', { opType: 'modified', opDate: at(8), profileStatus: null }),
        d('X3', { opType: 'modified', opDate: at(8), profileStatus: null, color: 'own' }),
      ],
    },
    expect: {
      X1: { abmTokenId: 'B', color: 'BLACK' },
      X2: { abmTokenId: 'A', enrollmentState: 'awaiting_enrollment', removedAt: null },
      X3: { abmTokenId: 'A', color: 'own' },
    },
  },
  {
    name: 'a full fetch (no op_date) is the present: it overwrites and keeps the last known op_date',
    before: [{ token: 'A', devices: [d('FF1', { opType: 'modified', opDate: at(9), color: 'old' })] }],
    page: { token: 'A', devices: [d('FF1', { color: 'fresh' })] },
    expect: { FF1: { color: 'fresh', opDate: at(9) } },
  },
  {
    name: 'an enrolled device synced again stays enrolled; a removed one that comes back shows what MDM said',
    before: [
      { token: 'A', devices: [d('E1'), d('E2')] },
      async (repos) => {
        for (const serial of ['E1', 'E2']) {
          await repos.deviceEnrollmentState.setMdmState(serial, 'enrolled', { enrolledAt: NOW }, NOW);
        }
      },
      { token: 'A', devices: [d('E2', { opType: 'deleted', opDate: at(3) })] },
    ],
    page: { token: 'A', devices: [d('E1', { color: 'RED' }), d('E2', { opType: 'added', opDate: at(4) })] },
    expect: {
      E1: { enrollmentState: 'enrolled', color: 'RED' },
      E2: { enrollmentState: 'enrolled', removedAt: null },
    },
  },
];

for (const { engine, skip } of await engines()) {
  describe(`sync page rules on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let db: Db;
    let repos: Repositories;

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDb(loadConfig(database.env).database);
      await migrateToLatest(db);
      repos = repositoriesOf(db.kysely);
      for (const token of ['A', 'B'] as const) await placeToken(repos, { tokenId: token, ...PLACEMENT[token] }, NOW);
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    const write = (repos: Repositories, token: TokenId, devices: Device[]) =>
      repos.deviceWrites.applyPage(
        {
          tokenId: token,
          ...PLACEMENT[token],
          profileUuid: token === 'A' ? PROFILE_A : null,
          fetchRun: 'run',
          now: NOW,
        },
        devices,
      );

    for (const c of CASES) {
      test(c.name, async () => {
        for (const step of c.before ?? []) {
          if (typeof step === 'function') await step(repos);
          else await write(repos, step.token, step.devices);
        }
        // In a transaction, as the sync writes it.
        await db.kysely.transaction().execute((tx) => write(repositoriesOf(tx), c.page.token, c.page.devices));
        for (const [serial, expected] of Object.entries(c.expect)) {
          const stored = await repos.devices.get(serial);
          if (expected === 'absent') {
            assert.equal(stored, undefined, `${serial} is not stored`);
            continue;
          }
          assert.ok(stored !== undefined, `${serial} is stored`);
          const opDate = (
            await db.kysely
              .selectFrom('devices')
              .select('op_date')
              .where('serial_number', '=', serial)
              .executeTakeFirst()
          )?.op_date;
          const actual: Record<string, unknown> = { ...stored, opDate };
          for (const [field, value] of Object.entries(expected)) {
            assert.equal(actual[field], value, `${serial}.${field}`);
          }
        }
      });
    }

    test('maintained device counts equal a recount after every kind of write', async () => {
      await write(repos, 'B', [d('CN1'), d('CN2'), d('CN3', { profileStatus: 'pushed' })]);
      await repos.deviceWrites.recordAssignments('B', [{ serialNumber: 'CN1', status: 'assigned' }], {
        profileUuid: 'PB',
        now: NOW,
        retryAt: NOW,
      });
      await repos.deviceEnrollmentState.setMdmState('CN2', 'enrolling', {}, NOW);
      await write(repos, 'B', [d('CN3', { opType: 'deleted', opDate: at(30) })]);
      await repos.deviceWrites.markUnseenRemoved('B', 'another-run', NOW);
      await repos.deviceWrites.followToken('A', 'c-b', 's-b', NOW);
      await assertCountsMatch();
      await repos.deviceWrites.releaseToken('B', NOW);
      await db.kysely.deleteFrom('devices').where('serial_number', '=', 'CN1').execute();
      await assertCountsMatch();
      const summary = await repos.devices.summary({});
      const total = await db.kysely
        .selectFrom('devices')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(summary.total, Number(total.n));
    });

    async function assertCountsMatch(): Promise<void> {
      const recount = await sql<Record<string, unknown>>`
        select coalesce(abm_token_id, '') as abm_token_id, coalesce(customer_id, '') as customer_id,
               coalesce(site_id, '') as site_id, enrollment_state, coalesce(profile_status, '') as profile_status,
               case when removed_at is null then 1 else 0 end as is_current, count(*) as n
        from devices group by 1, 2, 3, 4, 5, 6`.execute(db.kysely);
      const kept = await db.kysely.selectFrom('device_counts').selectAll().where('n', '<>', 0).execute();
      const key = (r: Record<string, unknown>) =>
        [
          r['abm_token_id'],
          r['customer_id'],
          r['site_id'],
          r['enrollment_state'],
          r['profile_status'],
          Number(r['is_current']),
        ].join('|');
      const asMap = (rows: Array<Record<string, unknown>>) =>
        Object.fromEntries(
          rows.map((r) => [key(r), Number(r['n'])]).sort(([a], [b]) => String(a).localeCompare(String(b))),
        );
      assert.ok(recount.rows.length > 3);
      assert.deepEqual(asMap(kept), asMap(recount.rows));
    }
  });
}
