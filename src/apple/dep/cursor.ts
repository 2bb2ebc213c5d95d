/**
 * Paging over fetch and sync. Each page comes with the cursor to persist once its devices
 * are stored, so a caller can commit both in one transaction and resume from exactly there.
 *
 * Cursor life cycle (apple-protocols.md §2): first fetch without a cursor and page while
 * `more_to_follow`; a later fetch on a finished cursor answers EXHAUSTED_CURSOR, meaning
 * "continue with /devices/sync from the same cursor"; a sync cursor that Apple refuses
 * (CURSOR_REQUIRED, INVALID_CURSOR, EXHAUSTED_CURSOR, EXPIRED_CURSOR after 7 days) means
 * "start again with a full fetch".
 */
import {
  DepCursorExhaustedError,
  DepCursorExpiredError,
  DepCursorInvalidError,
  DepCursorStuckError,
  DepUnexpectedResponseError,
} from './errors.js';
import type { Device, DevicePage, FetchDevicesRequest, SyncDevicesRequest } from './devices.js';
import type { CallOptions } from './transport.js';

/** What the paging helpers need; DepClient is one. */
export interface DevicePager {
  fetchDevices(request?: FetchDevicesRequest, options?: CallOptions): Promise<DevicePage>;
  syncDevices(request: SyncDevicesRequest, options?: CallOptions): Promise<DevicePage>;
}

export interface CursorPage extends DevicePage {
  /** Persist this after storing `devices`: the next run resumes from it. */
  readonly cursor: string;
}

export interface PagingOptions extends CallOptions {
  readonly limit?: number;
}

/**
 * How many times in a row Apple may echo the cursor it was sent, with `more_to_follow: true`
 * and nothing new, before paging stops with DEP_CURSOR_STUCK.
 */
export const MAX_CURSOR_ECHOES = 2;

/** Every device assigned to the MDM server, page by page, from `cursor` (or the start). */
export async function* fetchAllDevices(
  client: Pick<DevicePager, 'fetchDevices'>,
  options: PagingOptions & { readonly cursor?: string } = {},
): AsyncGenerator<CursorPage, void, undefined> {
  const { cursor, limit, ...call } = options;
  yield* follow('POST /server/devices', cursor, (sent) =>
    client.fetchDevices(
      { ...(sent === undefined ? {} : { cursor: sent }), ...(limit === undefined ? {} : { limit }) },
      call,
    ),
  );
}

/**
 * Changes since `cursor`, page by page. A device may appear more than once across pages:
 * keep the latest `opDate` per serial.
 */
export async function* syncDevices(
  client: Pick<DevicePager, 'syncDevices'>,
  cursor: string,
  options: PagingOptions = {},
): AsyncGenerator<CursorPage, void, undefined> {
  const { limit, ...call } = options;
  yield* follow('POST /devices/sync', cursor, (sent) =>
    client.syncDevices({ cursor: sent ?? cursor, ...(limit === undefined ? {} : { limit }) }, call),
  );
}

async function* follow(
  call: string,
  start: string | undefined,
  getPage: (cursor: string | undefined) => Promise<DevicePage>,
): AsyncGenerator<CursorPage, void, undefined> {
  let sent = start;
  let previous: readonly Device[] | null = null;
  let echoes = 0;
  for (;;) {
    const page = await getPage(sent);
    const cursor = page.cursor ?? sent;
    if (cursor === undefined) throw new DepUnexpectedResponseError(call, 'no cursor in the answer');
    if (page.moreToFollow && cursor === sent) {
      // Known Apple quirk: the same cursor echoed with more_to_follow=true forever. One echo
      // may be Apple catching up; a run of them with nothing new is a loop.
      const nothingNew = page.devices.length === 0 || (previous !== null && samePage(previous, page.devices));
      echoes = nothingNew ? echoes + 1 : 0;
      if (echoes >= MAX_CURSOR_ECHOES) throw new DepCursorStuckError(call, echoes);
    } else {
      echoes = 0;
    }
    yield { ...page, cursor };
    if (!page.moreToFollow) return;
    previous = page.devices;
    sent = cursor;
  }
}

function samePage(a: readonly Device[], b: readonly Device[]): boolean {
  return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}

/** What to do after a cursor error; null when `error` is not a cursor error. */
export type CursorRecovery =
  /** The fetch is complete: continue with `/devices/sync` from the same cursor. */
  | { readonly next: 'sync'; readonly cursor: string }
  /** The cursor is unusable: forget it and fetch everything again (then reconcile). */
  | { readonly next: 'full_fetch' };

export function recoverFromCursorError(
  error: unknown,
  context: { readonly during: 'fetch' | 'sync'; readonly cursor: string | undefined },
): CursorRecovery | null {
  if (error instanceof DepCursorExhaustedError) {
    return context.during === 'fetch' && context.cursor !== undefined && context.cursor !== ''
      ? { next: 'sync', cursor: context.cursor }
      : { next: 'full_fetch' };
  }
  if (error instanceof DepCursorExpiredError || error instanceof DepCursorInvalidError) return { next: 'full_fetch' };
  return null;
}
