// The seed's three procedures in Chromium, against the Apple sandbox in the same server:
// download the public key from the wizard, add an MDM server with it in the sandbox ABM
// page and download its token there, drop the token into the wizard and upload it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium, signInAsAdmin } from '../helpers/browser.js';
import { ROOT, freePort } from '../helpers/cli.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { browserSkipReason } from '../helpers/services.js';

const WEB_DIST = path.join(ROOT, 'web', 'dist');

describe('Add ABM token, as the user guide describes it, in Chromium', { skip: browserSkipReason() }, () => {
  let t: TestOrchard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let scratch: string;
  const pageErrors: string[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestOrchard('sqlite', { webDist: WEB_DIST, env: { ORCHARD_PUBLIC_URL: base, PORT: String(port) } });
    await t.app.listen({ host: '127.0.0.1', port });
    const customer = (await t.api('POST', '/api/v1/customers', { name: 'Acme Corp' })).json();
    for (const name of ['Main Office', 'Warehouse'])
      await t.api('POST', `/api/v1/customers/${customer.id}/sites`, { name });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-'));
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signInAsAdmin(page, base);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function pick(dialog: Locator, label: string, option: string): Promise<void> {
    await dialog.getByRole('combobox', { name: label }).click();
    await page.getByRole('option', { name: option }).click();
  }

  async function saveDownload(start: () => Promise<void>): Promise<{ file: string; name: string }> {
    const downloading = page.waitForEvent('download');
    await start();
    const download = await downloading;
    const file = path.join(scratch, download.suggestedFilename());
    await download.saveAs(file);
    return { file, name: download.suggestedFilename() };
  }

  /** What the user does in (the sandbox's) Apple Business Manager: returns the downloaded token. */
  async function abmIssuesToken(serverName: string, publicKeyFile: string | null): Promise<string> {
    const abm = await context.newPage();
    try {
      await abm.goto(`${base}/sandbox/abm`);
      let row = abm.getByRole('row').filter({ hasText: serverName });
      if (publicKeyFile !== null) {
        await abm.getByRole('button', { name: 'Add MDM Server' }).click();
        await abm.getByLabel('MDM Server Name').fill(serverName);
        await abm.getByLabel('Public key').setInputFiles(publicKeyFile);
        await abm.getByRole('button', { name: 'Save', exact: true }).click();
        row = abm.getByRole('row').filter({ hasText: serverName });
        await row.waitFor();
      }
      await row.getByRole('button', { name: 'Download Token' }).click();
      const downloading = abm.waitForEvent('download');
      await abm.getByRole('dialog').getByRole('button', { name: 'Download Server Token' }).click();
      const download = await downloading;
      const file = path.join(scratch, download.suggestedFilename());
      await download.saveAs(file);
      return file;
    } finally {
      await abm.close();
    }
  }

  /** Drag and drop, as from the Downloads folder: a real drop event carrying the file. */
  async function dropFile(target: Locator, file: string): Promise<void> {
    // Runs in the page, where DataTransfer and File exist (this file is typed for Node only).
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      const bytes = Uint8Array.from(atob(${JSON.stringify(fs.readFileSync(file).toString('base64'))}), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], ${JSON.stringify(path.basename(file))}));
      return transfer;
    })()`);
    for (const type of ['dragenter', 'dragover', 'drop']) await target.dispatchEvent(type, { dataTransfer });
  }

  async function startWizard(site: string): Promise<{ dialog: Locator; publicKeyFile: string }> {
    await page.getByRole('link', { name: 'Auto-Enrollment' }).click();
    await page.getByRole('button', { name: 'Add ABM token', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add ABM token' });
    await pick(dialog, 'Customer', 'Acme Corp');
    await pick(dialog, 'Site', site);
    await dialog.getByRole('button', { name: 'Next' }).click();
    const { file, name } = await saveDownload(() =>
      dialog.getByRole('button', { name: 'Download public key' }).click(),
    );
    assert.match(name, /\.pem$/);
    assert.match(fs.readFileSync(file, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    await dialog.getByRole('button', { name: 'Next' }).click();
    const link = dialog.getByRole('link', { name: 'Apple Business Manager' });
    assert.equal(await link.getAttribute('href'), `${base}/sandbox/abm`);
    assert.equal(await dialog.getByRole('radio', { name: 'Create a new ABM token' }).isChecked(), true);
    await dialog.getByRole('button', { name: 'Next' }).click();
    return { dialog, publicKeyFile: file };
  }

  function tokenRow(serverName: string): Locator {
    return page.getByRole('row').filter({ hasText: serverName });
  }

  test('a token is added: key downloaded, MDM server made in ABM, token dropped in and uploaded, row active', async () => {
    const { dialog, publicKeyFile } = await startWizard('Main Office');
    const tokenFile = await abmIssuesToken('Orchard Server 1', publicKeyFile);
    await dropFile(dialog.getByText(/drag and drop/i).first(), tokenFile);
    await dialog.getByText(path.basename(tokenFile)).waitFor();
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('tab', { name: 'Apple Business Manager', selected: true }).waitFor();
    const row = tokenRow('Orchard Server 1');
    await row.getByText('Active', { exact: true }).waitFor();
    await row.getByText('Main Office').waitFor();
    const stored = (await t.api('GET', '/api/v1/abm-tokens')).json().items;
    assert.deepEqual(
      stored.map((s: { serverName: string; siteName: string; status: string }) => [s.serverName, s.siteName, s.status]),
      [['Orchard Server 1', 'Main Office', 'active']],
    );
  });

  test('a renewal: the row’s Renew action takes a new token of the same MDM server', async () => {
    const before = (await t.api('GET', '/api/v1/abm-tokens')).json().items[0];
    await tokenRow('Orchard Server 1').getByRole('button', { name: 'Actions for Orchard Server 1' }).click();
    await page.getByRole('menuitem', { name: 'Renew' }).click();
    const dialog = page.getByRole('dialog', { name: 'Renew ABM token' });
    await dialog.getByRole('button', { name: 'I already have the key' }).click();
    await dialog.getByRole('button', { name: 'Next' }).click();
    const tokenFile = await abmIssuesToken('Orchard Server 1', null);
    await dialog.locator('input[type=file]').setInputFiles(tokenFile);
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('ABM token renewed').waitFor();
    const after = (await t.api('GET', `/api/v1/abm-tokens/${before.id}`)).json();
    assert.equal(after.status, 'active');
    assert.notEqual(after.updatedAt, before.updatedAt);
  });

  test('for a second site: a wrong file and a token made for another key are each explained, then the right token is added', async () => {
    const { dialog, publicKeyFile } = await startWizard('Warehouse');
    await dropFile(dialog.getByText(/drag and drop/i).first(), publicKeyFile);
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByText('Not a server token').waitFor();

    // A token from the first MDM server: addressed to the Main Office key, not this one.
    const otherToken = await abmIssuesToken('Orchard Server 1', null);
    await dialog.locator('input[type=file]').setInputFiles(otherToken);
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByText('Token made for a different public key').waitFor();
    await dialog.getByRole('button', { name: 'Download public key again' }).waitFor();

    const pending = (await t.api('GET', '/api/v1/abm-tokens'))
      .json()
      .items.find((i: { siteName: string }) => i.siteName === 'Warehouse');
    assert.equal(pending.status, 'awaiting_token', 'the refused uploads changed nothing');

    // Then the right file: the second site of the same customer gets its own active token.
    const rightToken = await abmIssuesToken('Orchard Server 2', publicKeyFile);
    await dialog.locator('input[type=file]').setInputFiles(rightToken);
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await tokenRow('Orchard Server 2').getByText('Active', { exact: true }).waitFor();
    const tokens = (await t.api('GET', '/api/v1/abm-tokens')).json().items;
    assert.deepEqual(
      tokens
        .map((i: { serverName: string; siteName: string; status: string }) => [i.siteName, i.serverName, i.status])
        .sort(),
      [
        ['Main Office', 'Orchard Server 1', 'active'],
        ['Warehouse', 'Orchard Server 2', 'active'],
      ],
    );
    assert.deepEqual(pageErrors, []);
  });
});
