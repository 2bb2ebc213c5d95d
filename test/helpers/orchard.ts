import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { bootstrap, openOrchard, type Orchard } from '../../src/app/orchard.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { AppleAccountGateway } from '../../src/domain/abm-tokens.js';
import type { Clock } from '../../src/domain/clock.js';
import { buildApp } from '../../src/http/app.js';
import { postgresUrl, type Engine } from './services.js';

const execFileAsync = promisify(execFile);

export const TEST_ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };
export const TEST_API_KEY = 'test-api-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** A fresh place for one test's data: a temp dir, and for PostgreSQL a schema of its own. */
export interface TestDatabase {
  readonly engine: Engine;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  readonly schema?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-test-'));
  const env: Record<string, string> = {
    ORCHARD_DATA_DIR: dataDir,
    ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
    ORCHARD_BOOTSTRAP_ADMIN_EMAIL: TEST_ADMIN.email,
    ORCHARD_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN.password,
    ORCHARD_BOOTSTRAP_API_KEY: TEST_API_KEY,
    LOG_LEVEL: 'silent',
  };
  if (engine === 'sqlite') {
    return { engine, dataDir, env, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `orchard_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  env['DATABASE_URL'] = url.toString();
  return {
    engine,
    dataDir,
    env,
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestOrchard {
  readonly orchard: Orchard;
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly database: TestDatabase;
  /** JSON request as the bootstrap admin API key. */
  api(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startTestOrchard(
  engine: Engine,
  options: {
    clock?: Clock;
    env?: Record<string, string>;
    database?: TestDatabase;
    webDist?: string;
    apple?: AppleAccountGateway;
  } = {},
): Promise<TestOrchard> {
  const database = options.database ?? (await createTestDatabase(engine));
  const config = loadConfig({ ...database.env, ...options.env });
  const orchard = await openOrchard(config, {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.apple === undefined ? {} : { apple: options.apple }),
  });
  await bootstrap(orchard);
  const app = await buildApp(orchard, {
    logger: false,
    webDist: options.webDist ?? path.join(database.dataDir, 'no-web'),
  });
  await app.ready();
  return {
    orchard,
    app,
    config,
    database,
    api: (method, url, body, headers = {}) =>
      app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      }),
    close: async () => {
      await app.close();
      await orchard.close();
      if (options.database === undefined) await database.drop();
    },
  };
}

/** A clock tests can move. */
export class ManualClock implements Clock {
  constructor(private current = new Date('2026-06-01T12:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * Everything the database holds, as bytes, for "is this secret stored in clear?" checks:
 * the SQLite files after a WAL checkpoint, or a pg_dump of the test's schema.
 */
export async function dumpDatabase(t: TestOrchard): Promise<Buffer> {
  if (t.database.engine === 'sqlite') {
    await sql`PRAGMA wal_checkpoint(FULL)`.execute(t.orchard.db.kysely);
    const files = fs.readdirSync(t.config.dataDir).filter((f) => f.startsWith('orchard.db'));
    return Buffer.concat(files.map((f) => fs.readFileSync(path.join(t.config.dataDir, f))));
  }
  const { stdout } = await execFileAsync(
    'pg_dump',
    ['--data-only', `--schema=${t.database.schema ?? ''}`, postgresUrl],
    {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return stdout;
}
