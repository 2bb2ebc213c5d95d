// Orchard's Content-Security-Policy, in Chromium: the built web app, /docs and the sandbox's
// ABM page all render and work under it, and the browser reports no violation on any of them.
// Also the production warning: with the sandbox on in production, every page shows a banner.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signInAsAdmin } from '../helpers/browser.js';
import { ROOT, freePort } from '../helpers/cli.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { browserSkipReason } from '../helpers/services.js';

const WEB_DIST = path.join(ROOT, 'web', 'dist');

/**
 * Runs in every page before its own scripts (Playwright injects it outside the page's CSP).
 * The event carries what was blocked; Chromium's own console message says it too.
 */
const REPORT_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (e) =>
  console.error('securitypolicyviolation: ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + e.sourceFile + ':' + e.lineNumber));`;

async function startOrchard(env: Record<string, string> = {}): Promise<{ t: TestOrchard; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t = await startTestOrchard('sqlite', {
    webDist: WEB_DIST,
    env: { ORCHARD_PUBLIC_URL: base, PORT: String(port), ...env },
  });
  await t.app.listen({ host: '127.0.0.1', port });
  return { t, base };
}

describe('the Content-Security-Policy in Chromium', { skip: browserSkipReason() }, () => {
  let t: TestOrchard;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const violations: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    ({ t, base } = await startOrchard());
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.addInitScript(REPORT_VIOLATIONS);
    page = await context.newPage();
    page.on('console', (message) => {
      if (/securitypolicyviolation|Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Violations are reported asynchronously; give the last ones a moment to arrive. */
  async function assertNoViolations(where: string): Promise<void> {
    await page.waitForTimeout(200);
    assert.deepEqual(violations, [], `${where}: CSP violations`);
    assert.deepEqual(pageErrors, [], `${where}: page errors`);
  }

  test("the sandbox's ABM page asks a browser that is not signed in to sign in to Orchard", async () => {
    const response = await page.goto(`${base}/sandbox/abm`);
    assert.equal(response?.status(), 401);
    await page.getByRole('heading', { name: 'Sign in to Orchard first' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Sign in to Orchard' }).getAttribute('href'), '/login');
    await assertNoViolations('portal sign-in page');
  });

  test('the web app signs in and renders with Mantine’s run-time styles applied', async () => {
    await signInAsAdmin(page, base);
    await page.getByRole('heading', { name: 'Customers' }).first().waitFor();
    // MantineProvider writes its theme's CSS variables into an inline <style>; were it blocked,
    // the variable would be missing and every component unstyled.
    const primary = await page.evaluate(
      `getComputedStyle(document.documentElement).getPropertyValue('--mantine-primary-color-filled').trim()`,
    );
    assert.notEqual(primary, '', 'Mantine CSS variables are applied');
    await page.getByRole('link', { name: 'Auto-Enrollment' }).click();
    await page.getByRole('button', { name: 'Add ABM token', exact: true }).click();
    await page.getByRole('dialog', { name: 'Add ABM token' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.waitForURL(/\/apple\/devices/);
    assert.equal(await page.getByText('Apple sandbox is on in production').count(), 0, 'no banner in development');
    await assertNoViolations('web app');
  });

  test('/docs renders the API reference', async () => {
    await page.goto(`${base}/docs`);
    await page.locator('.swagger-ui .opblock').first().waitFor();
    await page.getByText('Orchard API').first().waitFor();
    await assertNoViolations('/docs');
  });

  test("the sandbox's ABM page works for the signed-in user, writes included", async () => {
    await page.goto(`${base}/sandbox/abm`);
    await page.getByRole('cell', { name: /No MDM servers yet/ }).waitFor();
    await page.getByLabel('Number of devices').fill('3');
    await page.getByRole('button', { name: 'Add devices' }).click();
    await page.getByRole('status').getByText('3 devices added to the organization.').waitFor();
    assert.equal(await page.locator('#unassigned-count').textContent(), '3');
    await assertNoViolations('sandbox portal');
  });
});

describe('the sandbox on in production, in Chromium', { skip: browserSkipReason() }, () => {
  let t: TestOrchard;
  let base: string;
  let browser: Browser;

  before(async () => {
    ({ t, base } = await startOrchard({ NODE_ENV: 'production', ORCHARD_SANDBOX: '1' }));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('every page of the web app shows a warning banner', async () => {
    const page = await browser.newPage();
    await signInAsAdmin(page, base);
    const banner = page.getByRole('alert').filter({ hasText: 'Apple sandbox is on in production' });
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /ORCHARD_SANDBOX/);
    await page.getByRole('link', { name: 'Auto-Enrollment' }).click();
    await page.waitForURL(/\/apple\/auto-enrollment/);
    await banner.waitFor();
  });
});
