#!/usr/bin/env node
import cluster from 'node:cluster';
import path from 'node:path';
import { Command } from 'commander';
import { ConfigError } from '../config/config.js';
import { DomainError } from '../domain/errors.js';
import { MasterKeyConfigError } from '../security/master-key.js';
import { MigrationError } from '../store/db.js';
import { apiKeyCommands } from './api-keys.js';
import { describeDatabaseFailure } from './database.js';
import { deviceCommands } from './device.js';
import { masterKeyCommands } from './master-key.js';
import { migrateCommand } from './migrate.js';
import { sandboxCommand } from './sandbox.js';
import { serveCommand } from './serve.js';
import { userCommands } from './users.js';

const program = new Command('orchard')
  .description('Orchard: Device Management for Apple, for managed service providers')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the web UI and API (and the Apple sandbox in development)')
  .action(serveCommand);
program.command('migrate').description('apply database migrations, then exit').action(migrateCommand);
userCommands(program.command('user').description('manage sign-in accounts'));
apiKeyCommands(program.command('api-key').description('manage API keys for automation'));
masterKeyCommands(program);
deviceCommands(
  program.command('device').description('simulate Apple devices enrolling in Orchard (with the sandbox as Apple)'),
);
program
  .command('sandbox')
  .description('run only the Apple sandbox (ABM portal + DEP web service) under /sandbox')
  .option('--port <port>', 'port to listen on', '8090')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'where sandbox.db lives', process.env['ORCHARD_DATA_DIR'] ?? './data')
  .action(async (options: { port: string; host: string; dataDir: string }) => {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ConfigError('--port', 'must be a port number from 1 to 65535');
    await sandboxCommand({ port, host: options.host, dataDir: path.resolve(options.dataDir) });
  });

/**
 * Operator mistakes end in one line that names what to fix; anything else is a bug and
 * keeps its stack.
 */
function explain(error: unknown): string | undefined {
  const database = describeDatabaseFailure(error);
  if (database !== undefined) return database;
  if (error instanceof ConfigError || error instanceof MasterKeyConfigError || error instanceof MigrationError) {
    return error.message;
  }
  if (error instanceof DomainError) return error.message;
  return undefined;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const line = explain(error);
  if (line === undefined) throw error;
  process.stderr.write(`orchard: ${line}\n`);
  process.exitCode = 1;
  // One of `orchard serve`'s processes (ORCHARD_PROCESSES): the IPC channel to its supervisor
  // would keep it alive, doing nothing, where it must end so that the supervisor replaces it.
  if (cluster.isWorker) process.exit(1);
}
