import { Option, type Command } from 'commander';
import { readSecret, withOrchard } from './context.js';

export function userCommands(user: Command): void {
  user
    .command('create')
    .description('create a user; the password is read from standard input (or prompted for)')
    .requiredOption('--email <email>', 'sign-in email')
    .addOption(
      new Option('--role <role>', 'admin sees everything; technician only its customers')
        .choices(['admin', 'technician'])
        .default('admin'),
    )
    .option('--customer <id...>', 'customer ids a technician may see')
    .action(async (options: { email: string; role: 'admin' | 'technician'; customer?: string[] }) => {
      const password = await readSecret('Password: ');
      await withOrchard(async (orchard) => {
        const user = await orchard.accounts.createUser({
          email: options.email,
          password,
          role: options.role,
          customerIds: options.customer ?? [],
        });
        process.stdout.write(`created ${user.role} ${user.email} (${user.id})\n`);
      });
    });

  user
    .command('list')
    .description('list users')
    .action(async () => {
      await withOrchard(async (orchard) => {
        for (const u of await orchard.accounts.listUsers()) {
          const scope = u.role === 'technician' ? ` customers: ${u.customerIds.join(', ') || '(none)'}` : '';
          process.stdout.write(`${u.id}  ${u.role.padEnd(10)}  ${u.email}${scope}\n`);
        }
      });
    });
}
