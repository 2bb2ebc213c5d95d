import { loadConfig } from '../config/config.js';
import { migrateToLatest, openDb } from '../store/db.js';

export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const db = openDb(config.database);
  try {
    const results = await migrateToLatest(db);
    const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
  } finally {
    await db.close();
  }
}
