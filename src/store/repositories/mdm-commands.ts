import { sql, type Kysely, type Selectable } from 'kysely';
import type { CommandStatus, Database, MdmCommandsTable } from '../schema.js';

export interface NewCommand {
  readonly commandUuid: string;
  readonly requestType: string;
  /** The full plist the device receives. */
  readonly plist: string;
}

export interface StoredCommand {
  readonly commandUuid: string;
  readonly serialNumber: string;
  readonly udid: string;
  readonly requestType: string;
  readonly plist: string;
  readonly status: CommandStatus;
  readonly result: string | null;
  readonly errorChain: string | null;
  readonly queuedBy: string;
  readonly queuedAt: string;
  readonly sentAt: string | null;
  readonly answeredAt: string | null;
}

export type CommandAnswer = 'acknowledged' | 'error' | 'not_now';

/**
 * Each device's command queue, shared by every instance: ordered by a per-device sequence,
 * delivered one at a time, each answer stored with the command.
 */
export interface MdmCommandRepository {
  enqueue(
    device: { serialNumber: string; udid: string },
    commands: readonly NewCommand[],
    queuedBy: string,
    now: string,
  ): Promise<void>;
  /**
   * The next command to give the device, marked sent. Commands sent but never answered go
   * again (the device lost the answer); `NotNow` ones wait for the device's next Idle, so a
   * device saying NotNow is not handed the same command straight back.
   */
  takeNext(serialNumber: string, options: { includeNotNow: boolean }, now: string): Promise<StoredCommand | undefined>;
  /** Stores the device's answer to one of its own commands; undefined when it has no such command. */
  answer(
    serialNumber: string,
    commandUuid: string,
    outcome: { status: CommandAnswer; result: string; errorChain: string | null },
    now: string,
  ): Promise<StoredCommand | undefined>;
  /** A new enrollment starts with an empty queue: what was waiting is canceled, not lost from history. */
  cancelOpen(serialNumber: string, now: string): Promise<number>;
  listForDevice(serialNumber: string, limit: number): Promise<StoredCommand[]>;
}

const OPEN: readonly CommandStatus[] = ['queued', 'sent', 'not_now'];

export class KyselyMdmCommandRepository implements MdmCommandRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async enqueue(
    device: { serialNumber: string; udid: string },
    commands: readonly NewCommand[],
    queuedBy: string,
    now: string,
  ): Promise<void> {
    if (commands.length === 0) return;
    const last = await this.db
      .selectFrom('mdm_commands')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('serial_number', '=', device.serialNumber)
      .executeTakeFirst();
    const base = Number(last?.seq ?? 0);
    // (serial_number, seq) is unique: two instances queueing at once cannot interleave
    // silently; the loser's transaction fails and is retried by its caller.
    await this.db
      .insertInto('mdm_commands')
      .values(
        commands.map((c, i) => ({
          command_uuid: c.commandUuid,
          serial_number: device.serialNumber,
          udid: device.udid,
          seq: base + i + 1,
          request_type: c.requestType,
          command: c.plist,
          status: 'queued' as const,
          queued_by: queuedBy,
          queued_at: now,
          updated_at: now,
        })),
      )
      .execute();
  }

  async takeNext(
    serialNumber: string,
    options: { includeNotNow: boolean },
    now: string,
  ): Promise<StoredCommand | undefined> {
    const statuses: CommandStatus[] = options.includeNotNow ? [...OPEN] : ['queued', 'sent'];
    for (;;) {
      const next = await this.db
        .selectFrom('mdm_commands')
        .selectAll()
        .where('serial_number', '=', serialNumber)
        .where('status', 'in', statuses)
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst();
      if (next === undefined) return undefined;
      // Compare-and-set on the status read, so an answer stored meanwhile is not undone.
      const taken = await this.db
        .updateTable('mdm_commands')
        .set({ status: 'sent', sent_at: now, updated_at: now })
        .where('command_uuid', '=', next.command_uuid)
        .where('status', '=', next.status)
        .executeTakeFirst();
      if (taken.numUpdatedRows > 0n) return { ...toCommand(next), status: 'sent', sentAt: now };
    }
  }

  async answer(
    serialNumber: string,
    commandUuid: string,
    outcome: { status: CommandAnswer; result: string; errorChain: string | null },
    now: string,
  ): Promise<StoredCommand | undefined> {
    const row = await this.db
      .updateTable('mdm_commands')
      .set({
        status: outcome.status,
        result: outcome.result,
        error_chain: outcome.errorChain,
        answered_at: now,
        updated_at: now,
      })
      .where('serial_number', '=', serialNumber)
      .where('command_uuid', '=', commandUuid)
      // A late duplicate answer to a finished command changes nothing.
      .where('status', 'in', OPEN)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toCommand(row);
  }

  async cancelOpen(serialNumber: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable('mdm_commands')
      .set({ status: 'canceled', updated_at: now })
      .where('serial_number', '=', serialNumber)
      .where('status', 'in', OPEN)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async listForDevice(serialNumber: string, limit: number): Promise<StoredCommand[]> {
    const rows = await this.db
      .selectFrom('mdm_commands')
      .selectAll()
      .where('serial_number', '=', serialNumber)
      .orderBy(sql`seq`, 'desc')
      .limit(limit)
      .execute();
    return rows.map(toCommand);
  }
}

function toCommand(row: Selectable<MdmCommandsTable>): StoredCommand {
  return {
    commandUuid: row.command_uuid,
    serialNumber: row.serial_number,
    udid: row.udid,
    requestType: row.request_type,
    plist: row.command,
    status: row.status,
    result: row.result,
    errorChain: row.error_chain,
    queuedBy: row.queued_by,
    queuedAt: row.queued_at,
    sentAt: row.sent_at,
    answeredAt: row.answered_at,
  };
}
