import { openOrchard, type Orchard } from '../app/orchard.js';
import type { Config, DatabaseConfig } from '../config/config.js';
import { unavailabilityOf, type Unavailability } from '../store/errors.js';

/** The operator's one line for each way the database can fail Orchard. */
const TROUBLE: Record<Unavailability, string> = {
  unreachable: 'cannot reach the database',
  timeout: 'the database did not answer in time',
  connection_lost: 'lost the connection to the database',
  missing_database: 'the database named in DATABASE_URL does not exist',
  missing_tables: 'Orchard’s tables are missing from the database',
  credentials_refused: 'the database refused the user or password in DATABASE_URL',
  busy: 'the database is busy',
  out_of_resources: 'the database is out of disk space or memory',
};

/** Worth waiting for at start: the database may come up, or calm down. The rest needs a person. */
const PASSING: ReadonlySet<Unavailability> = new Set(['unreachable', 'timeout', 'connection_lost', 'busy']);

function where(database: DatabaseConfig): string {
  return database.engine === 'sqlite' ? database.file : new URL(database.url).host;
}

/**
 * One line for a database failure, or undefined when the error is something else. The error's
 * own message says which (ECONNREFUSED, a timeout); Node's AggregateError for a host with several
 * addresses has an empty message, and only its code says it.
 */
export function describeDatabaseFailure(error: unknown, database?: DatabaseConfig): string | undefined {
  const reason = unavailabilityOf(error);
  if (reason === undefined) return undefined;
  const own = error instanceof Error ? error.message || String((error as { code?: unknown }).code ?? '') : '';
  return `${TROUBLE[reason]}${database === undefined ? '' : ` at ${where(database)}`}${own === '' ? '' : ` (${own})`}`;
}

const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 30_000;

/**
 * Opens Orchard, waiting with backoff while the database is down or not answering: in a
 * deployment the database often starts after Orchard, or restarts under it. Says so in one line,
 * and again only when the reason changes, instead of a stack trace per attempt.
 */
export async function openWhenDatabaseAnswers(
  config: Config,
  say: (line: string) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<Orchard> {
  let waitMs = FIRST_RETRY_MS;
  let said: string | undefined;
  for (;;) {
    try {
      const orchard = await openOrchard(config);
      if (said !== undefined) say('the database answers; starting');
      return orchard;
    } catch (error) {
      const reason = unavailabilityOf(error);
      if (reason === undefined || !PASSING.has(reason)) throw error;
      const line = `${describeDatabaseFailure(error, config.database) ?? ''}; retrying until it answers`;
      if (line !== said) say(line);
      said = line;
      await sleep(waitMs);
      waitMs = Math.min(waitMs * 2, LONGEST_RETRY_MS);
    }
  }
}
