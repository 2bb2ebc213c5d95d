// An Orchard in sandbox mode on a real port with one connected ABM token whose devices are
// created and assigned in the sandbox ABM and synced: the starting point of every enrollment
// test, on either engine.
import type { Engine } from './services.js';
import { freePort } from './cli.js';
import { TEST_API_KEY, startTestOrchard, type TestDatabase, type TestOrchard } from './orchard.js';

export interface EnrollmentFixture {
  readonly t: TestOrchard;
  readonly base: string;
  readonly tokenId: string;
  readonly customerId: string;
  readonly siteId: string;
  readonly serverId: string;
  readonly serials: string[];
  /** Orchard's API as the bootstrap API key. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The sandbox ABM portal API (inside Orchard it wants the API key too). */
  sandbox(path: string, body?: unknown): Promise<Response>;
  /** Creates and assigns more devices in the sandbox and syncs them into Orchard. */
  addDevices(count: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function enrollmentFixture(
  engine: Engine,
  options: { devices: number; env?: Record<string, string>; database?: TestDatabase; siteName?: string },
): Promise<EnrollmentFixture> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t = await startTestOrchard(engine, {
    env: { ORCHARD_PUBLIC_URL: base, PORT: String(port), ...options.env },
    ...(options.database === undefined ? {} : { database: options.database }),
  });
  await t.app.listen({ host: '127.0.0.1', port });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...init.headers },
    });
  const sandbox = (path: string, body?: unknown) =>
    fetch(`${base}/sandbox/abm/api${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const json = async <T>(response: Promise<Response>): Promise<T> => {
    const r = await response;
    const body = await r.text();
    if (!r.ok) throw new Error(`${r.status} ${r.url}: ${body}`);
    return JSON.parse(body) as T;
  };

  const customer = await json<{ id: string }>(
    api('/api/v1/customers', { method: 'POST', body: JSON.stringify({ name: `Enrollment Co ${port}` }) }),
  );
  const site = await json<{ id: string }>(
    api(`/api/v1/customers/${customer.id}/sites`, {
      method: 'POST',
      body: JSON.stringify({ name: options.siteName ?? 'Head Office' }),
    }),
  );
  const token = await json<{ id: string }>(
    api('/api/v1/abm-tokens', { method: 'POST', body: JSON.stringify({ customerId: customer.id, siteId: site.id }) }),
  );
  const publicKeyPem = await (await api(`/api/v1/abm-tokens/${token.id}/public-key`)).text();
  const server = await json<{ id: string }>(sandbox('/mdm-servers', { name: `Orchard ${port}`, publicKeyPem }));
  const file = Buffer.from(await (await sandbox(`/mdm-servers/${server.id}/token`)).arrayBuffer());
  await json(
    api(`/api/v1/abm-tokens/${token.id}/token`, {
      method: 'PUT',
      body: file,
      headers: { 'content-type': 'application/octet-stream' },
    }),
  );

  const addDevices = async (count: number): Promise<string[]> => {
    if (count === 0) return [];
    const created = await json<{ serials: string[] }>(sandbox('/devices', { count }));
    await json(sandbox(`/mdm-servers/${server.id}/devices`, { serials: created.serials }));
    await t.api('POST', `/api/v1/abm-tokens/${token.id}/sync`);
    await t.orchard.sync.runUntilIdle();
    return created.serials;
  };
  const serials = await addDevices(options.devices);
  return {
    t,
    base,
    tokenId: token.id,
    customerId: customer.id,
    siteId: site.id,
    serverId: server.id,
    serials,
    api,
    sandbox,
    addDevices,
    close: () => t.close(),
  };
}
