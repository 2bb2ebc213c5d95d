import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { ROOT } from '../helpers/cli.js';
import { TEST_ADMIN, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { browserSkipReason } from '../helpers/services.js';

const WEB_DIST = path.join(ROOT, 'web', 'dist');

describe('web app in Chromium', { skip: browserSkipReason() }, () => {
  let t: TestOrchard;
  let browser: Browser;
  let baseUrl: string;

  before(async () => {
    assert.ok(
      fs.existsSync(path.join(WEB_DIST, 'index.html')),
      'the web app is built (npm test runs npm run build:web first)',
    );
    t = await startTestOrchard('sqlite', { webDist: WEB_DIST });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${baseUrl}/customers`);
    await page.getByLabel('Email').fill(TEST_ADMIN.email);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('a technician signs in, creates a customer and a site, sees them listed, and signs out', async () => {
    const page = await browser.newPage();
    try {
      await signIn(page);
      // Back where the technician was going before being asked to sign in.
      await page.waitForURL(`${baseUrl}/customers`);

      await page.getByRole('button', { name: 'New customer' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill('Acme Corp');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.waitFor({ state: 'hidden' });
      const row = page.getByRole('row').filter({ hasText: 'Acme Corp' });
      await row.waitFor();

      await page.getByRole('link', { name: 'Acme Corp' }).click();
      await page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
      await page.getByRole('button', { name: 'New site' }).click();
      const siteDialog = page.getByRole('dialog');
      await siteDialog.getByLabel('Name').fill('Main Office');
      await siteDialog.getByRole('button', { name: 'Create' }).click();
      await siteDialog.waitFor({ state: 'hidden' });
      await page.getByRole('row').filter({ hasText: 'Main Office' }).waitFor();

      // What the browser showed is what the server stored.
      const customers = (await t.api('GET', '/api/v1/customers?q=acme')).json().items;
      assert.deepEqual(
        customers.map((c: { name: string; siteCount: number }) => [c.name, c.siteCount]),
        [['Acme Corp', 1]],
      );

      await page.getByRole('button', { name: new RegExp(TEST_ADMIN.email) }).click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await page.goto(`${baseUrl}/customers`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    } finally {
      await page.close();
    }
  });

  test('a duplicate customer name shows the server’s explanation in the dialog', async () => {
    const page = await browser.newPage();
    try {
      await t.api('POST', '/api/v1/customers', { name: 'Globex' });
      await signIn(page);
      await page.getByRole('button', { name: 'New customer' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill('globex');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.getByText(/already exists/).waitFor();
    } finally {
      await page.close();
    }
  });

  test('a wrong password is explained on the sign-in page', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${baseUrl}/login`);
      await page.getByLabel('Email').fill(TEST_ADMIN.email);
      await page.getByLabel('Password').fill('definitely not it');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('The email or password is not right').waitFor();
    } finally {
      await page.close();
    }
  });
});
