/**
 * The syncer half of a run: devices from Apple into storage, page by page, from wherever the
 * last run stopped. A page's device writes and the cursor after it commit in one transaction,
 * fenced by the lease, so whatever point a process dies at, the next run resumes from the last
 * committed cursor; the page in flight is fetched again and re-applied, which the write rules
 * (store/repositories/device-writes.ts) make harmless.
 */
import { randomBytes } from 'node:crypto';
import { fetchAllDevices, recoverFromCursorError, syncDevices, type Device } from '../apple/dep/index.js';
import { emitEvents } from '../domain/events.js';
import { isoNow } from '../domain/clock.js';
import type { SyncPhase } from '../store/schema.js';
import type { SyncDepClient } from './dep.js';
import { LeaseLostError, type HeldLease } from './lease.js';
import type { SyncRunnerDeps } from './runner.js';

/** Where the device feed stands: what the stored cursor means. */
interface Position {
  readonly phase: SyncPhase;
  readonly cursor: string | null;
  readonly fetchRun: string | null;
}

export interface PullProgress {
  pages: number;
  devices: number;
}

export class DevicePuller {
  constructor(private readonly deps: SyncRunnerDeps) {}

  /**
   * Devices from Apple until nothing more follows: a fetch without a cursor, paged while
   * `more_to_follow`, or — when the last run completed one — incremental sync from its cursor. EXHAUSTED_CURSOR on a fetch
   * means "sync from here"; an expired or refused cursor means "fetch everything again" —
   * once per run, so a cursor Apple keeps refusing cannot loop. A cursor Apple echoes with
   * `more_to_follow` forever stops the run (DEP_CURSOR_STUCK) with the pages so far kept.
   */
  async pull(
    lease: HeldLease,
    client: SyncDepClient,
    progress: PullProgress,
    /** Takes each stored page's devices now waiting for the profile (backpressure: awaited). */
    onWaiting: (serials: readonly string[]) => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    const { repositories: repos, options } = this.deps;
    const state = await repos.syncStates.find(lease.tokenId);
    // Defined (or not) before the pull, by this run's assigner: fixed while it runs.
    const profileUuid = (await repos.enrollmentProfiles.find(lease.tokenId))?.profileUuid ?? null;
    let position: Position =
      state === undefined || (state.phase === 'sync' && state.cursor === null)
        ? { phase: 'fetch', cursor: null, fetchRun: null }
        : { phase: state.phase, cursor: state.cursor, fetchRun: state.fetchRun };
    const call = { limit: options.pageSize, signal: lease.signal };
    const commit = async (devices: readonly Device[], next: Position, reconcileRun: string | null) => {
      const waiting = await this.commitPage(lease, devices, next, { profileUuid, reconcileRun });
      progress.pages += 1;
      progress.devices += devices.length;
      await onWaiting(waiting);
    };
    let refetched = false;
    for (;;) {
      try {
        if (position.phase === 'fetch') {
          const fetchRun = position.cursor !== null && position.fetchRun !== null ? position.fetchRun : newRunId();
          const start = position.cursor;
          for await (const page of readAhead(
            fetchAllDevices(client, { ...call, ...(start === null ? {} : { cursor: start }) }),
          )) {
            const done = !page.moreToFollow;
            position = { phase: done ? 'sync' : 'fetch', cursor: page.cursor, fetchRun };
            await commit(page.devices, position, done ? fetchRun : null);
          }
          // A completed fetch is the present. What changed since — the assignments this very
          // run makes, above all — is read by the next run's sync from the cursor just saved,
          // instead of being read back at once page by page. After a refetch forced by a
          // refused cursor, the new cursor is tried at once, so a cursor Apple keeps refusing
          // fails the run instead of refetching everything on every run.
          if (position.phase === 'sync' && !refetched) return;
        }
        // A full fetch always ends on a cursor (fetchAllDevices refuses an answer without one).
        if (position.cursor === null) throw new Error('no cursor after a full fetch');
        for await (const page of readAhead(syncDevices(client, position.cursor, call))) {
          position = { ...position, phase: 'sync', cursor: page.cursor };
          await commit(page.devices, position, null);
        }
        return;
      } catch (error) {
        if (lease.signal.aborted) throw error;
        const recovery = recoverFromCursorError(error, {
          during: position.phase,
          cursor: position.cursor ?? undefined,
        });
        if (recovery === null) throw error;
        if (recovery.next === 'sync') {
          position = { ...position, phase: 'sync', cursor: recovery.cursor };
        } else {
          if (refetched) throw error;
          refetched = true;
          position = { phase: 'fetch', cursor: null, fetchRun: null };
        }
        await this.savePosition(lease, position);
      }
    }
  }

  /** One page's devices and the cursor after them, in one transaction, only while the lease is ours. */
  private async commitPage(
    lease: HeldLease,
    devices: readonly Device[],
    position: Position,
    page: { profileUuid: string | null; reconcileRun: string | null },
  ): Promise<readonly string[]> {
    lease.check();
    return this.deps.transactor.transaction(async (repos) => {
      const now = isoNow(this.deps.clock);
      // First statement: fences (and on PostgreSQL locks) the token's sync row, so a token
      // being moved or deleted at this moment is seen either wholly before or wholly after.
      const ours = await repos.syncStates.commitPage(
        lease,
        { phase: position.phase, cursor: position.cursor, fetchRun: position.fetchRun, devices: devices.length },
        now,
        lease.until(),
      );
      const token = ours ? await repos.abmTokens.findById(lease.tokenId) : undefined;
      if (token === undefined) throw new LeaseLostError(lease.tokenId);
      // Only when a webhook listens (a first sync of 100,000 devices would otherwise queue
      // 100,000 events for nobody): which of the page's devices the token did not hold, read
      // in the page's transaction just before its write.
      const announce = await repos.outbox.anyoneWants('device.added');
      const known = announce
        ? await repos.deviceWrites.heldSerials(
            token.id,
            devices.map((d) => d.serialNumber),
          )
        : undefined;
      const written = await repos.deviceWrites.applyPage(
        {
          tokenId: token.id,
          customerId: token.customerId,
          siteId: token.siteId,
          profileUuid: page.profileUuid,
          fetchRun: position.fetchRun,
          now,
        },
        devices,
      );
      // The end of a full fetch: whatever of this token's it did not return has left ABM
      // (a refetch after an expired cursor never saw those `deleted` events).
      if (page.reconcileRun !== null) await repos.deviceWrites.markUnseenRemoved(token.id, page.reconcileRun, now);
      if (known !== undefined) {
        const added = new Map(
          devices.filter((d) => d.opType !== 'deleted' && !known.has(d.serialNumber)).map((d) => [d.serialNumber, d]),
        );
        await emitEvents(
          repos.outbox,
          this.deps.clock,
          [...added.values()].map((device) => ({
            type: 'device.added' as const,
            customerId: token.customerId,
            data: {
              serialNumber: device.serialNumber,
              model: device.model ?? null,
              description: device.description ?? null,
              abmTokenId: token.id,
              customerId: token.customerId,
              customerName: token.customerName,
              siteId: token.siteId,
              siteName: token.siteName,
            },
          })),
        );
      }
      return written.waiting;
    });
  }

  private async savePosition(lease: HeldLease, position: Position): Promise<void> {
    await this.deps.transactor.transaction(async (repos) => {
      const now = isoNow(this.deps.clock);
      const ours = await repos.syncStates.commitPage(
        lease,
        { phase: position.phase, cursor: position.cursor, fetchRun: position.fetchRun, devices: 0 },
        now,
        lease.until(),
      );
      if (!ours) throw new LeaseLostError(lease.tokenId);
    });
  }
}

/**
 * Asks Apple for the next page while the current one is being stored: the two overlap
 * instead of adding up. At most one page waits ahead, so memory stays flat, and pages still
 * reach the database one at a time, in order, so every committed cursor has all the devices
 * before it.
 */
async function* readAhead<T>(source: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
  let next = source.next();
  for (;;) {
    const result = await next;
    if (result.done === true) return;
    next = source.next();
    // A failure of the page asked for ahead surfaces when its turn comes, not before.
    next.catch(() => undefined);
    yield result.value;
  }
}

function newRunId(): string {
  return randomBytes(9).toString('base64url');
}
