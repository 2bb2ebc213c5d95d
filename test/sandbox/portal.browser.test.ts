// The portal page driven in Chromium the way an admin (or the product's e2e test) uses ABM:
// Add MDM Server → name and public key → Save → Download Token → Download Server Token.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { decryptServerToken } from '../../src/apple/token-file.js';
import { launchChromium } from '../helpers/browser.js';
import { browserSkipReason } from '../helpers/services.js';
import { portal, startSandbox, tempDataDir, testKeyPair, type Sandbox } from './support.js';

describe('ABM portal page in Chromium', { skip: browserSkipReason() }, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let scratch: string;

  before(async () => {
    sandbox = await startSandbox({ listen: true });
    browser = await launchChromium();
    scratch = tempDataDir();
  });
  after(async () => {
    await browser?.close();
    await sandbox?.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('an admin adds an MDM server with a public key, downloads its token, adds and assigns devices', async () => {
    const keyPair = await testKeyPair();
    const pemPath = `${scratch}/Orchard_public_key.pem`;
    fs.writeFileSync(pemPath, keyPair.certificatePem);
    const page = await browser.newPage({ acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${sandbox.baseUrl}/sandbox/abm`);
      await page.getByRole('button', { name: 'Add MDM Server' }).click();
      await page.getByLabel('MDM Server Name').fill('RMM Server 1');
      await page.getByLabel('Public key').setInputFiles(pemPath);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const row = page.getByRole('row').filter({ hasText: 'RMM Server 1' });
      await row.waitFor();

      await row.getByRole('button', { name: 'Download Token' }).click();
      const downloading = page.waitForEvent('download');
      await page.getByRole('dialog').getByRole('button', { name: 'Download Server Token' }).click();
      const download = await downloading;
      assert.match(download.suggestedFilename(), /^RMM Server 1_Token_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ_smime\.p7m$/);
      const file = fs.readFileSync(await download.path());
      const { token } = decryptServerToken(file, [{ id: 'k', ...keyPair }], sandbox.clock.now());
      assert.match(token.consumerKey, /^CK_/);

      await page.getByLabel('Number of devices').fill('5');
      await page.getByLabel('Device family').selectOption('Mac');
      await page.getByRole('button', { name: 'Add devices' }).click();
      await page.getByRole('status').filter({ hasText: '5 devices added' }).waitFor();
      await page.getByLabel('Devices to assign').fill('3');
      await page.getByLabel('Assign to MDM server').selectOption({ label: 'RMM Server 1' });
      await page.getByRole('button', { name: 'Assign', exact: true }).click();
      await page.getByRole('status').filter({ hasText: '3 devices assigned' }).waitFor();
      await row.getByRole('cell', { name: '3', exact: true }).waitFor();

      await page.getByLabel('Terms and conditions accepted').uncheck();
      await page.getByRole('status').filter({ hasText: 'T_C_NOT_SIGNED' }).waitFor();
      assert.equal((await portal(sandbox, 'GET', '/terms')).json()['accepted'], false);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
