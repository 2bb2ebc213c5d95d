import { Option, type Command } from 'commander';
import { emailKey } from '../domain/accounts.js';
import { NotFoundError } from '../domain/errors.js';
import { COMMAND_LINE } from '../domain/principal.js';
import { passwordLinkUrl } from '../domain/users.js';
import type { Orchard } from '../app/orchard.js';
import type { User } from '../store/repositories/users.js';
import { ROLES, type Role } from '../store/schema.js';
import { readSecret, withOrchard } from './context.js';

async function userByEmail(orchard: Orchard, email: string): Promise<User> {
  const user = (await orchard.users.list(COMMAND_LINE)).find((u) => emailKey(u.email) === emailKey(email));
  if (user === undefined) throw new NotFoundError('user', email);
  return user;
}

export function userCommands(user: Command): void {
  user
    .command('create')
    .description('create a user; the password is read from standard input (or prompted for)')
    .requiredOption('--email <email>', 'sign-in email')
    .addOption(
      new Option('--role <role>', 'admin sees everything; technician changes its customers; read_only only looks')
        .choices(ROLES)
        .default('admin'),
    )
    .option('--customer <id...>', 'customer ids a technician or read-only user may see')
    .action(async (options: { email: string; role: Role; customer?: string[] }) => {
      const password = await readSecret('Password: ');
      await withOrchard(async (orchard) => {
        const created = await orchard.users.createUser({
          email: options.email,
          password,
          role: options.role,
          customerIds: options.customer ?? [],
        });
        process.stdout.write(`created ${created.role} ${created.email} (${created.id})\n`);
      });
    });

  user
    .command('list')
    .description('list users')
    .action(async () => {
      await withOrchard(async (orchard) => {
        for (const u of await orchard.users.list(COMMAND_LINE)) {
          const scope = u.role === 'admin' ? '' : ` customers: ${u.customerIds.join(', ') || '(none)'}`;
          const state = u.disabledAt !== null ? ' (disabled)' : u.passwordSet ? '' : ' (invited)';
          process.stdout.write(`${u.id}  ${u.role.padEnd(10)}  ${u.email}${state}${scope}\n`);
        }
      });
    });

  user
    .command('reset-password')
    .description('print a one-time link with which the user chooses a new password (and is unlocked)')
    .requiredOption('--email <email>', 'the user’s sign-in email')
    .action(async (options: { email: string }) => {
      await withOrchard(async (orchard) => {
        const found = await userByEmail(orchard, options.email);
        const link = await orchard.users.createPasswordReset(COMMAND_LINE, found.id);
        process.stderr.write(`Send this link to ${found.email}; it works once, until ${link.expiresAt}.\n`);
        process.stdout.write(`${passwordLinkUrl(orchard.config.publicBaseUrl, link.token)}\n`);
      });
    });

  for (const [command, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    user
      .command(command)
      .description(
        disabled
          ? 'stop a user from signing in, ending its sessions and API keys'
          : 'let a disabled user sign in again',
      )
      .requiredOption('--email <email>', 'the user’s sign-in email')
      .action(async (options: { email: string }) => {
        await withOrchard(async (orchard) => {
          const found = await userByEmail(orchard, options.email);
          await orchard.users.update(COMMAND_LINE, found.id, { disabled });
          process.stdout.write(`${command}d ${found.email}\n`);
        });
      });
  }
}
