// `orchard serve` in production with ORCHARD_SANDBOX=1 says so at warn level when it starts,
// so the line stands out in any log pipeline that filters on level.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, serve } from '../helpers/cli.js';

interface LogLine {
  level: number;
  msg: string;
}

async function startupLog(extra: Record<string, string>): Promise<LogLine[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-prod-'));
  try {
    const server = await serve(
      {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        ORCHARD_PUBLIC_URL: 'https://orchard.example.com',
        ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
        ORCHARD_DATA_DIR: dataDir,
        ...extra,
      },
      await freePort(),
    );
    // The ready line is the last one serve() writes before it idles.
    for (let i = 0; i < 100 && !server.output().includes('Orchard is ready'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.stop();
    return server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

test('production with ORCHARD_SANDBOX=1 logs a warning at start; without it, no such line', async () => {
  const withSandbox = await startupLog({ ORCHARD_SANDBOX: '1' });
  const warning = withSandbox.find((line) => line.msg.includes('ORCHARD_SANDBOX=1 in production'));
  assert.ok(warning, withSandbox.map((line) => line.msg).join('\n'));
  assert.equal(warning.level, 40, 'pino warn');
  assert.match(warning.msg, /https:\/\/orchard\.example\.com\/sandbox/);

  const without = await startupLog({});
  assert.ok(without.some((line) => line.msg.includes('Orchard is ready')));
  assert.ok(!without.some((line) => line.msg.includes('ORCHARD_SANDBOX')));
});
