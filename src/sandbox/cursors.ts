/**
 * DEP cursors: opaque, unpadded base64 strings like Apple's, carrying the position in the
 * sandbox's change log (and, during a fetch, the last serial returned) plus the time they
 * were issued, with an HMAC so a client cannot forge or edit one. Apple rejects cursors older
 * than seven days with EXPIRED_CURSOR; the sandbox does the same against its own clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CURSOR_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * `fetch`: paging through the snapshot of devices assigned at change-log position `seq`,
 * after serial `afterSerial`. `sync`: the fetch is complete; changes after `seq` come next.
 */
export type CursorState =
  | {
      readonly phase: 'fetch';
      readonly serverId: string;
      readonly seq: number;
      readonly afterSerial: string;
      readonly issuedAt: number;
    }
  | { readonly phase: 'sync'; readonly serverId: string; readonly seq: number; readonly issuedAt: number };

export type CursorCheck =
  { readonly ok: true; readonly cursor: CursorState } | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

const MAC_BYTES = 12;
const VERSION = '1';
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export class CursorCodec {
  constructor(private readonly key: Buffer) {}

  encode(cursor: CursorState): string {
    const fields =
      cursor.phase === 'fetch'
        ? [VERSION, cursor.serverId, 'F', String(cursor.seq), cursor.afterSerial, String(cursor.issuedAt)]
        : [VERSION, cursor.serverId, 'S', String(cursor.seq), '', String(cursor.issuedAt)];
    const payload = Buffer.from(fields.join('|'), 'utf8');
    return Buffer.concat([payload, this.mac(payload)])
      .toString('base64')
      .replace(/=+$/, '');
  }

  /** Checks signature, shape, owner and age; `serverId` is the MDM server asking. */
  decode(text: string, serverId: string, nowMs: number): CursorCheck {
    const cursor = this.parse(text);
    if (cursor === undefined || cursor.serverId !== serverId) return { ok: false, reason: 'invalid' };
    if (nowMs - cursor.issuedAt > CURSOR_MAX_AGE_MS) return { ok: false, reason: 'expired' };
    return { ok: true, cursor };
  }

  private parse(text: string): CursorState | undefined {
    if (text.length === 0 || text.length > 1000 || !BASE64.test(text)) return undefined;
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length <= MAC_BYTES) return undefined;
    const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
    const mac = bytes.subarray(bytes.length - MAC_BYTES);
    if (!timingSafeEqual(mac, this.mac(payload))) return undefined;
    const [version, serverId, phase, seqText, afterSerial, issuedText] = payload.toString('utf8').split('|');
    const seq = Number(seqText);
    const issuedAt = Number(issuedText);
    if (version !== VERSION || serverId === undefined || afterSerial === undefined) return undefined;
    if (!Number.isSafeInteger(seq) || seq < 0 || !Number.isSafeInteger(issuedAt)) return undefined;
    if (phase === 'F') return { phase: 'fetch', serverId, seq, afterSerial, issuedAt };
    if (phase === 'S') return { phase: 'sync', serverId, seq, issuedAt };
    return undefined;
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
