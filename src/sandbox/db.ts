/**
 * The sandbox's own SQLite file, `<dataDir>/sandbox.db`, opened with the SQLite driver directly:
 * the sandbox plays Apple, so it shares nothing with Orchard's database and must not depend
 * on Orchard's migrations. State is deliberately compact (one row per device, a change log
 * of small rows) so that a million devices fit and pages come from indexed range queries.
 */
import path from 'node:path';
import { preparePrivateSqliteFile } from '../config/paths.js';
import { openSqliteDatabase, type SqliteDatabase } from '../store/sqlite-driver.js';

export type SandboxDb = SqliteDatabase;

// Additive changes (a new table created IF NOT EXISTS) keep the version: an existing file
// gains the table on its next open and an older build simply ignores it. Bump it only for
// a change an older build would misread.
const SCHEMA_VERSION = 1;

// Times are integer milliseconds of the sandbox clock; Apple's wire format is produced at
// the edge (see clock.ts). `WITHOUT ROWID` on devices keeps the row in the serial-ordered
// primary key B-tree, so a fetch page reads contiguous pages.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS servers (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  server_uuid     TEXT NOT NULL UNIQUE,
  certificate_pem TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS servers_name ON servers (name COLLATE NOCASE);

-- Every token ever downloaded. Only the newest per server is valid; older ones stay so that
-- Apple's answer to a superseded token (token_rejected) can be told apart from a made-up one.
CREATE TABLE IF NOT EXISTS tokens (
  access_token    TEXT PRIMARY KEY,
  server_id       TEXT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
  consumer_key    TEXT NOT NULL,
  consumer_secret TEXT NOT NULL,
  access_secret   TEXT NOT NULL,
  admin_id        TEXT NOT NULL,
  issued_at       INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  superseded_at   INTEGER
);
CREATE INDEX IF NOT EXISTS tokens_server ON tokens (server_id, issued_at);

CREATE TABLE IF NOT EXISTS sessions (
  token        TEXT PRIMARY KEY,
  server_id    TEXT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
  access_token TEXT NOT NULL REFERENCES tokens (access_token) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_server ON sessions (server_id);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);

CREATE TABLE IF NOT EXISTS devices (
  serial              TEXT PRIMARY KEY,
  model               TEXT NOT NULL,
  description         TEXT NOT NULL,
  color               TEXT NOT NULL,
  os                  TEXT NOT NULL,
  device_family       TEXT NOT NULL,
  asset_tag           TEXT,
  -- No foreign keys on the two big tables: SQLite's per-row FK check tripled the cost of
  -- bulk assignment. ServerStore.delete releases devices and drops changes itself.
  server_id           TEXT,
  -- Change-log position of the (last) assignment to server_id: a fetch snapshot taken at
  -- position P lists exactly the devices with assign_seq <= P.
  assign_seq          INTEGER,
  assigned_at         INTEGER,
  assigned_by         TEXT,
  profile_uuid        TEXT,
  profile_status      TEXT NOT NULL DEFAULT 'empty',
  profile_assign_time INTEGER,
  profile_push_time   INTEGER,
  disowned            INTEGER NOT NULL DEFAULT 0,
  created_at          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS devices_server ON devices (server_id, serial);
-- The portal's "unassigned" list and count, without touching assigned or disowned rows.
CREATE INDEX IF NOT EXISTS devices_unassigned ON devices (serial) WHERE server_id IS NULL AND disowned = 0;

CREATE TABLE IF NOT EXISTS profiles (
  uuid       TEXT PRIMARY KEY,
  server_id  TEXT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
  settings   TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- One global, monotonically increasing sequence; sync cursors carry a position in it.
CREATE TABLE IF NOT EXISTS changes (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  server_id TEXT NOT NULL,
  serial    TEXT NOT NULL,
  op_type   TEXT NOT NULL CHECK (op_type IN ('added', 'modified', 'deleted')),
  op_date   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_server_seq ON changes (server_id, seq);

CREATE TABLE IF NOT EXISTS fault_rules (
  id        INTEGER PRIMARY KEY,
  server_id TEXT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
  rule      TEXT NOT NULL,
  remaining INTEGER
);
CREATE INDEX IF NOT EXISTS fault_rules_server ON fault_rules (server_id, id);

-- The sandbox's stand-in for Apple's iPhone Device CA: one row, made on first use. Its key
-- lives here because the sandbox is a simulation (Apple's never leaves its HSMs).
CREATE TABLE IF NOT EXISTS device_ca (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  certificate_pem TEXT NOT NULL,
  private_key_pem TEXT NOT NULL,
  created_at      INTEGER NOT NULL
);

-- A device's UDID and factory identity, beside the devices table rather than in it: made
-- lazily on a device's first identity or detail call, so bulk creation of a million devices
-- stays as cheap as before and older sandbox.db files need no column added. The key is null
-- when the identity certifies a key the caller brought (the sandbox never saw its private half).
CREATE TABLE IF NOT EXISTS device_identities (
  serial          TEXT PRIMARY KEY,
  udid            TEXT NOT NULL UNIQUE,
  certificate_pem TEXT,
  private_key_pem TEXT,
  issued_at       INTEGER
);
`;

export function openSandboxDb(dataDir: string): SandboxDb {
  const file = path.join(dataDir, 'sandbox.db');
  // Server tokens' OAuth secrets live here, as they do in Apple's database.
  preparePrivateSqliteFile(file);
  const db = openSqliteDatabase(file);
  try {
    // First: switching to WAL takes a lock, and two processes opening a new sandbox.db at once
    // (`orchard serve` with ORCHARD_PROCESSES) must wait for each other, not fail with BUSY.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a crash can lose the last transactions but never corrupts; fine for a
    // simulator, and bulk device creation is several times faster than with FULL.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -65536'); // 64 MiB: a million devices' index stays in memory
    db.exec(SCHEMA);
    const version = getMeta(db, 'schema_version');
    if (version === undefined) setMeta(db, 'schema_version', String(SCHEMA_VERSION));
    else if (Number(version) > SCHEMA_VERSION) {
      throw new Error(`${path.join(dataDir, 'sandbox.db')} was written by a newer Orchard (sandbox schema ${version})`);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function getMeta(db: SandboxDb, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: SandboxDb, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}

/** The meta value, made and stored by `make` the first time (secrets, the org's identity). */
export function ensureMeta(db: SandboxDb, key: string, make: () => string): string {
  const existing = getMeta(db, key);
  if (existing !== undefined) return existing;
  const value = make();
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  return getMeta(db, key) ?? value;
}
