import type { Command } from 'commander';
import { COMMAND_LINE } from '../domain/principal.js';
import { withOrchard } from './context.js';

export function apiKeyCommands(apiKey: Command): void {
  apiKey
    .command('create')
    .description('create an API key; it is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'what the key is for, e.g. "PSA sync"')
    .option('--user <email>', 'act as this user (default: an admin service key)')
    .action(async (options: { name: string; user?: string }) => {
      await withOrchard(async (orchard) => {
        const { apiKey: created, key } = await orchard.apiKeys.createFromShell({
          name: options.name,
          ...(options.user === undefined ? {} : { userEmail: options.user }),
        });
        process.stderr.write(
          `created API key ${created.prefix}… (${created.id}). Store it now: it cannot be shown again.\n`,
        );
        process.stdout.write(`${key}\n`);
      });
    });

  apiKey
    .command('list')
    .description('list API keys (prefixes only)')
    .action(async () => {
      await withOrchard(async (orchard) => {
        for (const k of await orchard.apiKeys.list(COMMAND_LINE)) {
          const state = k.revokedAt === null ? 'active' : `revoked ${k.revokedAt}`;
          process.stdout.write(
            `${k.id}  ${k.prefix.padEnd(13)}  ${k.name}  ${state}  last used ${k.lastUsedAt ?? 'never'}\n`,
          );
        }
      });
    });

  apiKey
    .command('revoke')
    .description('revoke an API key by id or prefix')
    .argument('<idOrPrefix>')
    .action(async (idOrPrefix: string) => {
      await withOrchard(async (orchard) => {
        for (const k of await orchard.apiKeys.revokeFromShell(idOrPrefix))
          process.stdout.write(`revoked ${k.prefix}… (${k.id})\n`);
      });
    });
}
