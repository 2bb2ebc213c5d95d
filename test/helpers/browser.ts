import { chromium, type Browser } from 'playwright-core';
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
