// After a token is connected: devices assigned in (the sandbox's) ABM appear in the Devices
// view after "Sync now", under the token's customer and site, with the profile assigned.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInAsAdmin } from '../helpers/browser.js';
import { ROOT, freePort } from '../helpers/cli.js';
import { TEST_API_KEY, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { browserSkipReason } from '../helpers/services.js';

const WEB_DIST = path.join(ROOT, 'web', 'dist');

describe('Devices view and Sync now in Chromium', { skip: browserSkipReason() }, () => {
  let t: TestOrchard;
  let browser: Browser;
  let page: Page;
  let base: string;
  let serverId: string;
  const pageErrors: string[] = [];

  const sandbox = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}/sandbox/abm/api${url}`, {
      method,
      // The portal inside Orchard answers signed-in users and API keys only.
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(res.ok, `${method} ${url}: ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestOrchard('sqlite', { webDist: WEB_DIST, env: { ORCHARD_PUBLIC_URL: base, PORT: String(port) } });
    await t.app.listen({ host: '127.0.0.1', port });
    t.orchard.sync.start();

    const customer = (await t.api('POST', '/api/v1/customers', { name: 'Globex' })).json();
    const site = (await t.api('POST', `/api/v1/customers/${customer.id}/sites`, { name: 'Springfield' })).json();
    const token = (await t.api('POST', '/api/v1/abm-tokens', { customerId: customer.id, siteId: site.id })).json();
    const publicKeyPem = (await t.api('GET', `/api/v1/abm-tokens/${token.id}/public-key`)).body;
    serverId = String((await sandbox('POST', '/mdm-servers', { name: 'Globex Server', publicKeyPem }))['id']);
    const file = Buffer.from(
      await (
        await fetch(`${base}/sandbox/abm/api/mdm-servers/${serverId}/token`, {
          headers: { authorization: `Bearer ${TEST_API_KEY}` },
        })
      ).arrayBuffer(),
    );
    const uploaded = await t.api('PUT', `/api/v1/abm-tokens/${token.id}/token`, file, {
      'content-type': 'application/octet-stream',
    });
    assert.equal(uploaded.statusCode, 200, uploaded.body);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signInAsAdmin(page, base);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('devices assigned in ABM appear after Sync now, with the profile assigned, and a serial search finds one', async () => {
    const serials = (await sandbox('POST', '/devices', { count: 12, mdmServerId: serverId }))['serials'] as string[];
    await page.getByRole('link', { name: 'Auto-Enrollment' }).click();
    await page.getByRole('button', { name: 'Actions for Globex Server' }).click();
    await page.getByRole('menuitem', { name: 'Sync now' }).click();
    await page.getByText('Sync started').waitFor();

    await page.getByRole('tab', { name: 'Devices' }).click();
    const first = serials[0] as string;
    const row = page.getByRole('row').filter({ hasText: first });
    await row.waitFor({ timeout: 30_000 });
    await row.getByText('Assigned', { exact: true }).waitFor({ timeout: 30_000 });
    await row.getByText('Springfield').waitFor();

    await page.getByPlaceholder('Search serial numbers').fill(first.slice(0, 10));
    const bodyRows = page.locator('tbody tr');
    for (let i = 0; i < 100 && (await bodyRows.count()) !== 1; i++) await page.waitForTimeout(100);
    assert.equal(await bodyRows.count(), 1, 'one row left after the search');
    await bodyRows.filter({ hasText: first }).waitFor();
    const stored = (await t.api('GET', `/api/v1/devices?q=${first}`)).json().items;
    assert.equal(stored.length, 1);
    assert.equal(stored[0].siteName, 'Springfield');
    assert.equal(stored[0].profileStatus, 'assigned');
    assert.deepEqual(pageErrors, []);
  });
});
