// The raw baseline beside the sync bench: the same DEP pages fetched from the sandbox with the
// same concurrency and page size, and thrown away — what the sync costs over fetching alone.
// Run by bench/sync-full.ts in a process of its own (so its peak RSS is its own):
//   node --import tsx bench/sync-fetch-baseline.ts <tokens.json> <depBaseUrl> <concurrency> <pageSize>
import fs from 'node:fs';
import { DepClient, fetchAllDevices } from '../src/apple/dep/index.js';
import type { ServerToken } from '../src/apple/server-token.js';

const [file = '', baseUrl = '', concurrencyArg = '4', pageSizeArg = '1000'] = process.argv.slice(2);
const tokens = (
  JSON.parse(fs.readFileSync(file, 'utf8')) as Array<ServerToken & { accessTokenExpiry: string | null }>
).map((t) => ({ ...t, accessTokenExpiry: t.accessTokenExpiry === null ? null : new Date(t.accessTokenExpiry) }));
const limit = Number(pageSizeArg);
let next = 0;
let devices = 0;
let pages = 0;
const start = performance.now();
async function worker(): Promise<void> {
  for (;;) {
    const token = tokens[next++];
    if (token === undefined) return;
    const client = new DepClient({ baseUrl, token });
    for await (const page of fetchAllDevices(client, { limit })) {
      devices += page.devices.length;
      pages += 1;
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrencyArg) }, () => worker()));
const seconds = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({
    devices,
    pages,
    seconds: Number(seconds.toFixed(2)),
    devicesPerSecond: Math.round(devices / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
