#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../config/config.js';
import { DomainError } from '../domain/errors.js';
import { MasterKeyConfigError } from '../security/master-key.js';
import { MigrationError } from '../store/db.js';
import { apiKeyCommands } from './api-keys.js';
import { masterKeyCommands } from './master-key.js';
import { migrateCommand } from './migrate.js';
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

/**
 * Operator mistakes end in one line that names what to fix; anything else is a bug and
 * keeps its stack.
 */
function explain(error: unknown): string | undefined {
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
}
