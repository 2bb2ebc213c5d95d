// Full fetch of one MDM server's devices through Orchard's DEP client, from the Apple
// sandbox running in its own process over real HTTP: devices/second and the client's peak
// memory. Usage: npx tsx bench/dep-fetch.ts [devices=100000] [pageSize=1000]
import { DepClient, fetchAllDevices } from '../src/apple/dep/index.js';
import { generateTokenKeyPair } from '../src/apple/pki.js';
import { decryptServerToken } from '../src/apple/token-file.js';
import { freePort, json, machine, startOrchardProcess, stop, tempDir } from './support.js';

const devices = Number(process.argv[2] ?? 100_000);
const pageSize = Number(process.argv[3] ?? 1000);

const port = await freePort();
const base = `http://127.0.0.1:${port}/sandbox`;
const sandbox = await startOrchardProcess(
  ['sandbox', '--port', String(port), '--data-dir', tempDir('orchard-bench-')],
  {},
  `${base}/abm`,
);
try {
  const keyPair = await generateTokenKeyPair({ commonName: 'Bench', now: new Date() });
  const server = await json<{ id: string }>(
    await fetch(`${base}/abm/api/mdm-servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench server', publicKeyPem: keyPair.certificatePem }),
    }),
  );
  const setupStart = performance.now();
  for (let made = 0; made < devices; made += 100_000) {
    await json(
      await fetch(`${base}/abm/api/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ count: Math.min(100_000, devices - made), mdmServerId: server.id }),
      }),
    );
  }
  const setupMs = performance.now() - setupStart;
  const file = Buffer.from(await (await fetch(`${base}/abm/api/mdm-servers/${server.id}/token`)).arrayBuffer());
  const { token } = decryptServerToken(file, [{ id: 'bench', ...keyPair }], new Date());

  const client = new DepClient({ baseUrl: `${base}/dep`, token });
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  let fetched = 0;
  let pages = 0;
  for await (const page of fetchAllDevices(client, { limit: pageSize })) {
    fetched += page.devices.length;
    pages += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  if (fetched !== devices) throw new Error(`fetched ${fetched} devices, expected ${devices}`);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify(
      {
        benchmark: 'dep-fetch',
        machine: machine(),
        devices,
        pageSize,
        pages,
        seconds: Number(seconds.toFixed(2)),
        devicesPerSecond: Math.round(fetched / seconds),
        clientPeakRssMb: Math.round(peakRssMb),
        clientRssBeforeFetchMb: Math.round(rssBefore / 2 ** 20),
        sandboxSetupSeconds: Number((setupMs / 1000).toFixed(1)),
      },
      null,
      2,
    ),
  );
} finally {
  await stop(sandbox);
}
