// `orchard sandbox`: sandboxCommand runs the sandbox on its own and stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDataDir } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('sandboxCommand serves the portal and DEP under /sandbox and closes its database on SIGTERM', async () => {
  const dataDir = tempDataDir();
  const script = `import { sandboxCommand } from './src/cli/sandbox.ts';
await sandboxCommand({ port: 0, host: '127.0.0.1', dataDir: ${JSON.stringify(dataDir)} });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line in: ${output}`)), 15_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /portal (http:\/\/127\.0\.0\.1:\d+)\/sandbox\/abm/.exec(output);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });

    const servers = await fetch(`${base}/sandbox/abm/api/mdm-servers`);
    assert.equal(servers.status, 200);
    assert.deepEqual(((await servers.json()) as { items: unknown[] }).items, []);
    const page = await fetch(`${base}/`, { redirect: 'manual' });
    assert.equal(page.headers.get('location'), '/sandbox/abm');
    const dep = await fetch(`${base}/sandbox/dep/account`, {
      headers: { 'user-agent': 'test', 'x-server-protocol-version': '7' },
    });
    assert.equal(dep.status, 401);
    assert.equal(await dep.text(), 'UNAUTHORIZED');

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(fs.existsSync(path.join(dataDir, 'sandbox.db')));
    assert.equal(fs.existsSync(path.join(dataDir, 'sandbox.db-wal')), false, 'the database was closed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
