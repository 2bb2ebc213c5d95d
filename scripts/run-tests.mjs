#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (Node 20's --test takes no globs).
// Extra arguments narrow the run: `npm test -- test/http` or a single file.
// `--server-only` leaves out the browser suites (*.browser.test.ts): CI runs the server
// suites once more on the next Node.js LTS, where the browser adds nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function collect(target) {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .flatMap((entry) => collect(path.join(target, entry.name)))
    .filter((file) => file.endsWith('.test.ts'));
}

const args = process.argv.slice(2);
const serverOnly = args.includes('--server-only');
const targets = args.filter((arg) => arg !== '--server-only');
const files = (targets.length > 0 ? targets : ['test'])
  .flatMap(collect)
  .filter((file) => !(serverOnly && file.endsWith('.browser.test.ts')))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Tests that start the real `orchard` command run the built one (test/helpers/cli.ts): build
// it first, so it is never older than the sources. Incremental, so a rebuild takes seconds.
const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
