#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (Node 20's --test takes no globs).
// Extra arguments narrow the run: `npm test -- test/http` or a single file.
// `--next-node` is CI's second pass on the next Node.js LTS: what can differ there is the
// runtime under Orchard (node:sqlite instead of better-sqlite3, OpenSSL, fetch, the test
// runner), which the unit, store, HTTP and sync suites cover. Left out: the browser suites,
// where the browser adds nothing, and the end-to-end device and crash runs (*.e2e, *.fuzz,
// kill-*, the OpenSSL/scepclient device), which repeat those same code paths at length and
// would take the CI run past its 15 minutes.
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
const nextNode = args.includes('--next-node');
const targets = args.filter((arg) => arg !== '--next-node');
const LONG_RUNS = [
  /\.browser\.test\.ts$/,
  /\.e2e\.test\.ts$/,
  /\.fuzz\.test\.ts$/,
  /kill-[^/]*\.test\.ts$/,
  /independent-device\.test\.ts$/,
];
const files = (targets.length > 0 ? targets : ['test'])
  .flatMap(collect)
  .filter((file) => !(nextNode && LONG_RUNS.some((pattern) => pattern.test(file))))
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
