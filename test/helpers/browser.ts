import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_ADMIN } from './orchard.js';
import { chromiumPath } from './services.js';

/**
 * Debian's Chromium, headless (Playwright gives it a fresh temporary profile). The
 * background-networking switches matter here: without them Chromium keeps dialling
 * Google's hosts, which this network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Signs in as the test admin on the login page and waits for the app shell. */
export async function signInAsAdmin(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(TEST_ADMIN.email);
  await page.getByLabel('Password').fill(TEST_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Auto-Enrollment' }).waitFor();
}
