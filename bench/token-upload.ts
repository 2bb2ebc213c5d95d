// End-to-end latency of adding an ABM token: PUT /api/v1/abm-tokens/{id}/token against a
// running `orchard serve` (SQLite, sandbox mode), which decrypts the file, asks the sandbox's
// DEP /account over HTTP, and stores the sealed credentials. Usage:
//   npx tsx bench/token-upload.ts [uploads=60]
// With DATABASE_URL=postgres://… in the environment the server uses PostgreSQL instead.
import { randomBytes } from 'node:crypto';
import { freePort, json, machine, percentile, startOrchardProcess, stop, tempDir } from './support.js';

const uploads = Number(process.argv[2] ?? 60);
const apiKey = randomBytes(24).toString('hex');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env: Record<string, string> = {
  PORT: String(port),
  ORCHARD_DATA_DIR: tempDir('orchard-bench-'),
  ORCHARD_BOOTSTRAP_API_KEY: apiKey,
  ORCHARD_PUBLIC_URL: base,
};
const server = await startOrchardProcess(['serve'], env, `${base}/healthz`);
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
  });

try {
  const customer = await json<{ id: string }>(
    await api('/api/v1/customers', { method: 'POST', body: JSON.stringify({ name: `Bench ${Date.now()}` }) }),
  );
  const timings: number[] = [];
  for (let i = 0; i < uploads; i++) {
    const site = await json<{ id: string }>(
      await api(`/api/v1/customers/${customer.id}/sites`, {
        method: 'POST',
        body: JSON.stringify({ name: `Site ${i}` }),
      }),
    );
    const token = await json<{ id: string }>(
      await api('/api/v1/abm-tokens', {
        method: 'POST',
        body: JSON.stringify({ customerId: customer.id, siteId: site.id }),
      }),
    );
    const publicKeyPem = await (await api(`/api/v1/abm-tokens/${token.id}/public-key`)).text();
    const mdmServer = await json<{ id: string }>(
      await fetch(`${base}/sandbox/abm/api/mdm-servers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench server ${i}`, publicKeyPem }),
      }),
    );
    const file = Buffer.from(
      await (
        await fetch(`${base}/sandbox/abm/api/mdm-servers/${mdmServer.id}/token`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).arrayBuffer(),
    );

    const start = performance.now();
    const uploaded = await api(`/api/v1/abm-tokens/${token.id}/token`, {
      method: 'PUT',
      body: file,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const ms = performance.now() - start;
    const body = await json<{ status: string }>(uploaded);
    if (body.status !== 'active') throw new Error(`upload ${i} ended ${body.status}`);
    timings.push(ms);
  }
  // The first uploads warm up JIT and connection pools; report them apart.
  const warm = timings.slice(Math.min(5, Math.floor(uploads / 4))).sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        benchmark: 'token-upload',
        machine: machine(),
        engine: process.env['DATABASE_URL'] === undefined ? 'sqlite' : 'postgres',
        uploads,
        firstUploadMs: Math.round(timings[0] ?? 0),
        p50Ms: Number(percentile(warm, 50).toFixed(1)),
        p95Ms: Number(percentile(warm, 95).toFixed(1)),
        maxMs: Number((warm.at(-1) ?? 0).toFixed(1)),
      },
      null,
      2,
    ),
  );
} finally {
  await stop(server);
}
