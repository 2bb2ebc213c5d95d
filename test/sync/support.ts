// Orchard for sync tests: the real app listening on a port, with the Apple sandbox mounted
// in it (sandbox mode), so the DEP client reaches the sandbox over real HTTP by base URL —
// as `npm start` runs. The scheduler is not started: tests drive it with runUntilIdle().
import assert from 'node:assert/strict';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bootstrap, openOrchard, type Orchard, type OrchardOptions } from '../../src/app/orchard.js';
import { loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';
import { freePort } from '../helpers/cli.js';
import { TEST_API_KEY, createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import type { Engine } from '../helpers/services.js';

export interface SyncHarness {
  readonly orchard: Orchard;
  readonly app: FastifyInstance;
  readonly base: string;
  readonly database: TestDatabase;
  api(method: string, url: string, body?: unknown): Promise<LightMyRequestResponse>;
  /** The sandbox ABM portal's JSON API. */
  portal(method: string, url: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startSyncOrchard(
  engine: Engine,
  options: Pick<OrchardOptions, 'depClient' | 'sync' | 'clock'> & { env?: Record<string, string> } = {},
): Promise<SyncHarness> {
  const database = await createTestDatabase(engine);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = loadConfig({ ...database.env, ORCHARD_PUBLIC_URL: base, PORT: String(port), ...options.env });
  const { env: _env, ...orchardOptions } = options;
  const orchard = await openOrchard(config, orchardOptions);
  await bootstrap(orchard);
  const app = await buildApp(orchard, { logger: false, webDist: path.join(database.dataDir, 'no-web') });
  await app.listen({ host: '127.0.0.1', port });
  const inject = (method: string, url: string, body: unknown, headers: Record<string, string>) =>
    app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  return {
    orchard,
    app,
    base,
    database,
    api: (method, url, body) =>
      inject(method, url, body, {
        authorization: `Bearer ${TEST_API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      }),
    // The portal inside Orchard answers signed-in users and API keys only.
    portal: (method, url, body) =>
      inject(method, `/sandbox/abm/api${url}`, body, {
        authorization: `Bearer ${TEST_API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      }),
    close: async () => {
      await app.close();
      await orchard.close();
      await database.drop();
    },
  };
}

export function json<T = Record<string, any>>(response: LightMyRequestResponse, status = 200): T {
  assert.equal(response.statusCode, status, response.body);
  return response.json() as T;
}

/**
 * A token connected to a new MDM server in the sandbox ABM, the way a technician does it:
 * public key from Orchard → MDM server in ABM → token file → upload.
 */
export async function connectToken(
  h: SyncHarness,
  customerId: string,
  siteId: string,
  serverName: string,
): Promise<{ tokenId: string; serverId: string }> {
  const token = json(await h.api('POST', '/api/v1/abm-tokens', { customerId, siteId }), 201);
  const publicKeyPem = (await h.api('GET', `/api/v1/abm-tokens/${token['id']}/public-key`)).body;
  const server = json(await h.portal('POST', '/mdm-servers', { name: serverName, publicKeyPem }), 201);
  const file = await h.portal('GET', `/mdm-servers/${server['id']}/token`);
  const uploaded = await h.app.inject({
    method: 'PUT',
    url: `/api/v1/abm-tokens/${token['id']}/token`,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/octet-stream' },
    payload: file.rawPayload,
  });
  assert.equal(json(uploaded)['status'], 'active');
  return { tokenId: token['id'] as string, serverId: server['id'] as string };
}

export async function customerWithSites(
  h: SyncHarness,
  name: string,
  sites: readonly string[],
): Promise<{ customerId: string; siteIds: string[] }> {
  const customerId = json(await h.api('POST', '/api/v1/customers', { name }), 201)['id'] as string;
  const siteIds: string[] = [];
  for (const site of sites) {
    siteIds.push(
      json(await h.api('POST', `/api/v1/customers/${customerId}/sites`, { name: site }), 201)['id'] as string,
    );
  }
  return { customerId, siteIds };
}

/** Every device the API lists for a query, following nextCursor. */
export async function allDevices(h: SyncHarness, query: string): Promise<Array<Record<string, any>>> {
  const items: Array<Record<string, any>> = [];
  let cursor: string | undefined;
  do {
    const page = json(
      await h.api('GET', `/api/v1/devices?limit=500&${query}${cursor === undefined ? '' : `&cursor=${cursor}`}`),
    );
    items.push(...(page['items'] as Array<Record<string, any>>));
    cursor = page['nextCursor'] as string | undefined;
  } while (cursor !== undefined);
  return items;
}
