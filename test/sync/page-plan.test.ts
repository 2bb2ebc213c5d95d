import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredDevice } from '../../src/store/repositories/devices.js';
import { latestPerSerial, planPage, type PageContext } from '../../src/sync/page-plan.js';
import { device } from './fake-apple.js';

const context: PageContext = {
  tokenId: 'A',
  customerId: 'c-a',
  siteId: 's-a',
  profileUuid: 'PROFILE-A',
  fetchRun: 'run-1',
  now: '2026-06-01T12:00:00.000Z',
};

function stored(serialNumber: string, extra: Partial<StoredDevice> = {}): [string, StoredDevice] {
  return [
    serialNumber,
    {
      serialNumber,
      abmTokenId: 'A',
      opDate: null,
      removedAt: null,
      profileAssignStatus: 'assigned',
      profileAssignError: null,
      profileRetryAt: null,
      ...extra,
    },
  ];
}

const at = (minute: number) => `2026-06-01T11:${String(minute).padStart(2, '0')}:00.000Z`;

describe('page plan', () => {
  test('within a page the latest op_date per serial wins, a tie going to the later entry', () => {
    const page = [
      device('S1', { opType: 'modified', opDate: at(5), color: 'late' }),
      device('S1', { opType: 'added', opDate: at(1), color: 'early' }),
      device('S2', { opType: 'modified', opDate: at(3), color: 'first' }),
      device('S2', { opType: 'modified', opDate: at(3), color: 'second' }),
    ];
    assert.deepEqual(
      latestPerSerial(page).map((d) => [d.serialNumber, d.color]),
      [
        ['S1', 'late'],
        ['S2', 'second'],
      ],
    );
    const plan = planPage(
      [device('S3', { opType: 'modified', opDate: at(9) }), device('S3', { opType: 'deleted', opDate: at(2) })],
      new Map([stored('S3')]),
      context,
    );
    assert.equal(plan.removals.length, 0, 'an older deletion repeated after a newer change loses');
    assert.equal(plan.upserts[0]?.opDate, at(9));
  });

  test('new devices are upserted under the token, its customer and site, needing the profile', () => {
    const plan = planPage([device('N2'), device('N1')], new Map(), context);
    assert.deepEqual(
      plan.upserts.map((u) => [
        u.serialNumber,
        u.abmTokenId,
        u.customerId,
        u.siteId,
        u.profileAssignStatus,
        u.fetchRun,
      ]),
      [
        ['N1', 'A', 'c-a', 's-a', 'pending', 'run-1'],
        ['N2', 'A', 'c-a', 's-a', 'pending', 'run-1'],
      ],
      'sorted by serial',
    );
  });

  test('a device already carrying the token’s profile is assigned; one with another profile or none needs it', () => {
    const plan = planPage(
      [
        device('P1', { profileStatus: 'assigned', profileUuid: 'PROFILE-A' }),
        device('P2', { profileStatus: 'pushed', profileUuid: 'PROFILE-A' }),
        device('P3', { profileStatus: 'assigned', profileUuid: 'SOMEONE-ELSE' }),
        device('P4', { profileStatus: 'removed' }),
      ],
      new Map(),
      context,
    );
    assert.deepEqual(
      plan.upserts.map((u) => u.profileAssignStatus),
      ['assigned', 'assigned', 'pending', 'pending'],
    );
  });

  test('a device Apple refused recently keeps waiting out its cool-down', () => {
    const plan = planPage(
      [device('F1'), device('F2')],
      new Map([
        stored('F1', {
          profileAssignStatus: 'failed',
          profileAssignError: 'FAILED',
          profileRetryAt: '2026-06-01T13:00:00.000Z',
        }),
        stored('F2', {
          profileAssignStatus: 'failed',
          profileAssignError: 'FAILED',
          profileRetryAt: '2026-06-01T11:00:00.000Z',
        }),
      ]),
      context,
    );
    assert.deepEqual(
      plan.upserts.map((u) => [u.profileAssignStatus, u.profileAssignError]),
      [
        ['failed', 'FAILED'],
        ['pending', null],
      ],
    );
  });

  test('deleted removes only this token’s devices, with Apple’s date; unknown devices are not stored', () => {
    const plan = planPage(
      [
        device('D1', { opType: 'deleted', opDate: at(7) }),
        device('D2', { opType: 'deleted', opDate: at(7) }),
        device('D3', { opType: 'deleted', opDate: at(7) }),
      ],
      new Map([stored('D1'), stored('D2', { abmTokenId: 'B' })]),
      context,
    );
    assert.deepEqual(plan.removals, [{ serialNumber: 'D1', removedAt: at(7), opDate: at(7) }]);
    assert.equal(plan.ignored, 2);
  });

  test('a device moved here from another token follows, unless the news is older than what that token said', () => {
    const plan = planPage(
      [device('M1', { opType: 'modified', opDate: at(6) }), device('M2', { opType: 'modified', opDate: at(4) })],
      new Map([stored('M1', { abmTokenId: 'B', opDate: at(5) }), stored('M2', { abmTokenId: 'B', opDate: at(5) })]),
      context,
    );
    assert.deepEqual(
      plan.upserts.map((u) => [u.serialNumber, u.abmTokenId]),
      [['M1', 'A']],
    );
  });

  test('a change without a profile status (the device has left this server) never takes a device from the token holding it', () => {
    // Moves within one second: op_date cannot tell the order, Apple's present state can.
    const stale = device('X1', { opType: 'modified', opDate: at(8), profileStatus: null });
    assert.equal(
      planPage([stale], new Map([stored('X1', { abmTokenId: 'B', opDate: at(8) })]), context).upserts.length,
      0,
    );
    assert.equal(
      planPage([stale], new Map([stored('X1', { abmTokenId: 'B', removedAt: at(8) })]), context).upserts.length,
      1,
      'unless that token has lost it too',
    );
    assert.equal(planPage([stale], new Map([stored('X1')]), context).upserts.length, 1, 'its own token refreshes it');
  });
});
