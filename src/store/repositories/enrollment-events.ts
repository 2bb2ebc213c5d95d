import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export const ENROLLMENT_EVENT_KINDS = [
  'profile_served',
  'profile_refused',
  'software_update_required',
  'identity_issued',
  'identity_refused',
  'authenticated',
  'enrolled',
  'released',
  'checked_out',
  'checkin_refused',
] as const;
export type EnrollmentEventKind = (typeof ENROLLMENT_EVENT_KINDS)[number];

export interface EnrollmentEvent {
  readonly id: string;
  readonly kind: EnrollmentEventKind;
  readonly outcome: 'ok' | 'refused';
  readonly detail: string | null;
  readonly createdAt: string;
}

/** The enrollment timeline of each device, refusals and their reasons included. */
export interface EnrollmentEventRepository {
  add(serialNumber: string, event: { kind: EnrollmentEventKind; detail?: string | null }, now: string): Promise<void>;
  /**
   * Adds the event unless the device's latest event is the same kind with the same detail,
   * newer than `since`: a device (or anyone who knows its UDID) repeating a refused message
   * leaves one line on the timeline, not thousands.
   */
  addUnlessRepeated(
    serialNumber: string,
    event: { kind: EnrollmentEventKind; detail: string | null },
    now: string,
    since: string,
  ): Promise<boolean>;
  listForDevice(serialNumber: string, limit: number): Promise<EnrollmentEvent[]>;
}

const REFUSALS: ReadonlySet<EnrollmentEventKind> = new Set(['profile_refused', 'identity_refused', 'checkin_refused']);

export class KyselyEnrollmentEventRepository implements EnrollmentEventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(
    serialNumber: string,
    event: { kind: EnrollmentEventKind; detail?: string | null },
    now: string,
  ): Promise<void> {
    await this.db
      .insertInto('enrollment_events')
      .values({
        id: randomUUID(),
        serial_number: serialNumber,
        kind: event.kind,
        outcome: REFUSALS.has(event.kind) ? 'refused' : 'ok',
        detail: event.detail ?? null,
        created_at: now,
      })
      .execute();
  }

  async addUnlessRepeated(
    serialNumber: string,
    event: { kind: EnrollmentEventKind; detail: string | null },
    now: string,
    since: string,
  ): Promise<boolean> {
    const [latest] = await this.listForDevice(serialNumber, 1);
    if (
      latest !== undefined &&
      latest.kind === event.kind &&
      latest.detail === event.detail &&
      latest.createdAt >= since
    ) {
      return false;
    }
    await this.add(serialNumber, event, now);
    return true;
  }

  async listForDevice(serialNumber: string, limit: number): Promise<EnrollmentEvent[]> {
    const rows = await this.db
      .selectFrom('enrollment_events')
      .selectAll()
      .where('serial_number', '=', serialNumber)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind as EnrollmentEventKind,
      outcome: r.outcome,
      detail: r.detail,
      createdAt: r.created_at,
    }));
  }
}
