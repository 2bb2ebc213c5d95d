import { loadConfig } from '../config/config.js';
import { migrate } from '../store/db.js';

export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const results = await migrate(config.database);
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
}
