import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { rotateKeyFile } from '../security/master-key.js';
import { withOrchard } from './context.js';

export function masterKeyCommands(program: Command): void {
  program
    .command('rotate-master-key')
    .description(
      're-encrypt every stored secret under the current master key. With ORCHARD_MASTER_KEY: set the new key there and the old one in ORCHARD_MASTER_KEY_PREVIOUS first. In development (key file in the data dir) a new key is generated.',
    )
    .action(async () => {
      const config = loadConfig();
      if (config.masterKey.current === undefined) {
        if (config.mode === 'production') {
          throw new Error('unreachable: production requires ORCHARD_MASTER_KEY');
        }
        await rotateKeyFile(config.dataDir);
        process.stderr.write(
          'generated a new master key in the data dir; the old one stays as previous until secrets are re-encrypted\n',
        );
      }
      await withOrchard(async (orchard) => {
        const { resealed } = await orchard.secrets.rotateAll();
        process.stdout.write(`re-encrypted ${resealed} secret(s) under the current master key\n`);
      });
    });
}
