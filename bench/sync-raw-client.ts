// The raw client beside the sync bench: the Apple calls a full sync makes, and nothing else.
// Per token: fetch every page, define an enrollment profile built as Orchard builds it, and
// assign it to every serial in batches of 1,000; tokens run `concurrency` at a time, as Orchard's
// scheduler does (ORCHARD_SYNC_CONCURRENCY). Devices are dropped as they arrive, only their
// serials are kept until they are assigned. Its rate is the ceiling the sandbox, loopback and
// the DEP client allow. Run by bench/sync-full.ts in a process of its own, so its peak RSS
// and CPU are its own:
//   node --import tsx bench/sync-raw-client.ts <tokens.json> <depBaseUrl> <concurrency> <pageSize>
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { DepClient, fetchAllDevices } from '../src/apple/dep/index.js';
import type { ServerToken } from '../src/apple/server-token.js';
import { DEFAULT_SETTINGS, enrollmentUrl, profileDefinition } from '../src/domain/enrollment-profiles.js';

const [file = '', baseUrl = '', concurrencyArg = '4', pageSizeArg = '1000'] = process.argv.slice(2);
const tokens = (
  JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{
    name: string;
    token: ServerToken & { accessTokenExpiry: string | null };
  }>
).map(({ name, token }) => ({
  name,
  token: { ...token, accessTokenExpiry: token.accessTokenExpiry === null ? null : new Date(token.accessTokenExpiry) },
}));
const limit = Number(pageSizeArg);
const counts = { devices: 0, fetchPages: 0, profiles: 0, assigned: 0, notAssigned: 0 };

async function syncToken({ name, token }: (typeof tokens)[number]): Promise<void> {
  const client = new DepClient({ baseUrl, token });
  const serials: string[] = [];
  for await (const page of fetchAllDevices(client, { limit })) {
    for (const device of page.devices) serials.push(device.serialNumber);
    counts.fetchPages += 1;
  }
  counts.devices += serials.length;
  const definition = profileDefinition(
    DEFAULT_SETTINGS,
    { customerName: name, siteName: 'Bench site' },
    enrollmentUrl('http://127.0.0.1:8080', randomBytes(16).toString('base64url')),
  );
  const { profileUuid } = await client.defineProfile(definition);
  counts.profiles += 1;
  const result = await client.assignProfile(profileUuid, serials);
  for (const status of Object.values(result.devices)) {
    if (status === 'SUCCESS') counts.assigned += 1;
    else counts.notAssigned += 1;
  }
}

let next = 0;
async function worker(): Promise<void> {
  for (let token = tokens[next++]; token !== undefined; token = tokens[next++]) await syncToken(token);
}

const cpuBefore = process.cpuUsage();
const start = performance.now();
await Promise.all(Array.from({ length: Number(concurrencyArg) }, () => worker()));
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    ...counts,
    seconds: Number(seconds.toFixed(2)),
    devicesPerSecond: Math.round(counts.devices / seconds),
    cpuMicrosPerDevice: Number(((cpu.user + cpu.system) / counts.devices).toFixed(1)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
