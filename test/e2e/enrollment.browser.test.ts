// The seed's promise to its end, in Chromium: a token is added through the wizard against the
// Apple sandbox, 20 devices are added and assigned to its MDM server on the sandbox ABM page,
// Sync now brings them in, and the real `orchard device enroll --all` enrolls them the way
// devices do at Setup Assistant. The Devices view then shows every one Enrolled under the
// token's Customer and Site with the name and OS version it reported; a device's drawer shows
// its enrollment timeline up to its release from Setup Assistant and the commands it answered.
// Then the token's enrollment profile takes a minimum iOS version, and shows the server's
// refusal of a malformed one under the field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { simulatedDevice, type SimulatedDevice } from '../../src/device-simulator/device-model.js';
import { launchChromium, signInAsAdmin } from '../helpers/browser.js';
import { ROOT, freePort, orchard } from '../helpers/cli.js';
import { TEST_API_KEY, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { browserSkipReason } from '../helpers/services.js';

const WEB_DIST = path.join(ROOT, 'web', 'dist');
const SERVER_NAME = 'Acme Enrollment Server';
const FAMILIES = [
  ['iPhone', 12],
  ['iPad', 4],
  ['Mac', 4],
] as const;
const DEVICE_COUNT = FAMILIES.reduce((sum, [, count]) => sum + count, 0);
/** How the web app names each family's OS beside the version the device reported. */
const PLATFORM: Record<SimulatedDevice['family'], string> = {
  iPhone: 'iOS',
  iPad: 'iPadOS',
  Mac: 'macOS',
  AppleTV: 'tvOS',
  Vision: 'visionOS',
};

interface DeviceJson {
  serialNumber: string;
  enrollmentState: string;
  deviceName: string | null;
  osVersion: string | null;
  customerName: string | null;
  siteName: string | null;
  setupReleasedAt: string | null;
}

describe('Enrollment, from adding the token to 20 enrolled devices, in Chromium', { skip: browserSkipReason() }, () => {
  let t: TestOrchard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let scratch: string;
  let tokenId: string;
  const pageErrors: string[] = [];

  const portal = async (url: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${base}/sandbox/abm/api${url}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    assert.ok(res.ok, `GET ${url}: ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestOrchard('sqlite', { webDist: WEB_DIST, env: { ORCHARD_PUBLIC_URL: base, PORT: String(port) } });
    await t.app.listen({ host: '127.0.0.1', port });
    t.orchard.sync.start();
    const customer = (await t.api('POST', '/api/v1/customers', { name: 'Acme Corp' })).json();
    await t.api('POST', `/api/v1/customers/${customer.id}/sites`, { name: 'Main Office' });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-'));
    browser = await launchChromium();
    // 1280 wide: the tables must fit beside the navigation without scrolling sideways.
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signInAsAdmin(page, base);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function pick(scope: Locator, label: string, option: string): Promise<void> {
    await scope.getByRole('combobox', { name: label }).click();
    await page.getByRole('option', { name: option }).click();
  }

  async function download(target: Page, start: () => Promise<void>): Promise<string> {
    const downloading = target.waitForEvent('download');
    await start();
    const file = await downloading;
    const saved = path.join(scratch, file.suggestedFilename());
    await file.saveAs(saved);
    return saved;
  }

  /** Elements on the page that scroll sideways (a table wider than its place). */
  function sidewaysScrollers(): Promise<string[]> {
    return page.evaluate(`[...document.querySelectorAll('*')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
      .map((el) => el.className + ' ' + el.scrollWidth + '>' + el.clientWidth)`);
  }

  function drawer(): Locator {
    return page.getByRole('dialog', { name: /^Device / });
  }

  test('20 devices assigned in ABM, synced and enrolled by the simulator show Enrolled under the token’s Customer and Site with the names and OS versions they reported', async () => {
    // The wizard, as the user guide describes it: customer and site, public key, ABM, token.
    await page.getByRole('link', { name: 'Auto-Enrollment' }).click();
    await page.getByRole('button', { name: 'Add ABM token', exact: true }).click();
    const wizard = page.getByRole('dialog', { name: 'Add ABM token' });
    await pick(wizard, 'Customer', 'Acme Corp');
    await pick(wizard, 'Site', 'Main Office');
    await wizard.getByRole('button', { name: 'Next' }).click();
    const publicKey = await download(page, () => wizard.getByRole('button', { name: 'Download public key' }).click());
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByRole('button', { name: 'Next' }).click();

    // Apple Business Manager (the sandbox's page): the MDM server, its token, and 20 devices.
    const abm = await context.newPage();
    await abm.goto(`${base}/sandbox/abm`);
    await abm.getByRole('button', { name: 'Add MDM Server' }).click();
    await abm.getByLabel('MDM Server Name').fill(SERVER_NAME);
    await abm.getByLabel('Public key').setInputFiles(publicKey);
    await abm.getByRole('button', { name: 'Save', exact: true }).click();
    const serverRow = abm.getByRole('row').filter({ hasText: SERVER_NAME });
    await serverRow.getByRole('button', { name: 'Download Token' }).click();
    const tokenFile = await download(abm, () =>
      abm.getByRole('dialog').getByRole('button', { name: 'Download Server Token' }).click(),
    );
    for (const [family, count] of FAMILIES) {
      await abm.getByLabel('Number of devices').fill(String(count));
      await abm.getByLabel('Device family').selectOption(family);
      await abm.getByRole('button', { name: 'Add devices' }).click();
      await abm.getByText(`${count} devices added to the organization.`).waitFor();
    }
    await abm.getByLabel('Devices to assign').fill(String(DEVICE_COUNT));
    await abm.getByLabel('Assign to MDM server').selectOption({ label: SERVER_NAME });
    await abm.getByRole('button', { name: 'Assign', exact: true }).click();
    await abm.getByText(`${DEVICE_COUNT} devices assigned.`).waitFor();
    await abm.close();

    await wizard.locator('input[type=file]').setInputFiles(tokenFile);
    await wizard.getByRole('button', { name: 'Upload' }).click();
    await wizard.waitFor({ state: 'hidden' });
    const tokenRow = page.getByRole('row').filter({ hasText: SERVER_NAME });
    await tokenRow.getByText('Active', { exact: true }).waitFor();
    tokenId = (await t.api('GET', '/api/v1/abm-tokens')).json().items[0].id;

    // Sync now brings the 20 devices in, all awaiting enrollment.
    await page.getByRole('button', { name: `Actions for ${SERVER_NAME}` }).click();
    await page.getByRole('menuitem', { name: 'Sync now' }).click();
    await tokenRow.getByText(`${DEVICE_COUNT} awaiting`).waitFor({ timeout: 30_000 });
    assert.deepEqual(await sidewaysScrollers(), [], 'the token table fits 1280 pixels');

    // The devices themselves, each as Apple's records describe it, go through Setup Assistant.
    const devices = (await t.api('GET', `/api/v1/devices?abmTokenId=${tokenId}&limit=100`)).json()
      .items as DeviceJson[];
    assert.equal(devices.length, DEVICE_COUNT);
    const reported = new Map<string, SimulatedDevice>();
    for (const device of devices)
      reported.set(
        device.serialNumber,
        simulatedDevice(device.serialNumber, await portal(`/devices/${device.serialNumber}`)),
      );

    await tokenRow.getByRole('link', { name: new RegExp(`^${DEVICE_COUNT} devices of `) }).click();
    await page.getByRole('tab', { name: 'Devices', selected: true }).waitFor();
    // The state filter's radios are hidden behind their labels: attached is what there is to wait for.
    await page.getByRole('radio', { name: /^Awaiting enrollment\s*20$/ }).waitFor({ state: 'attached' });

    const run = await orchard(
      [
        'device',
        'enroll',
        '--all',
        '--token',
        tokenId,
        '--concurrency',
        '5',
        '--orchard',
        base,
        '--api-key',
        TEST_API_KEY,
      ],
      {},
    );
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`enrolled ${DEVICE_COUNT} of ${DEVICE_COUNT} in`));

    // The open view updates by itself: every device Enrolled, with what it reported.
    await page.getByRole('radio', { name: /^Enrolled\s*20$/ }).waitFor({ state: 'attached', timeout: 45_000 });
    for (const [serial, device] of reported) {
      const row = page.getByRole('row').filter({ hasText: serial });
      await row.getByText('Enrolled', { exact: true }).waitFor({ timeout: 45_000 });
      const text = (await row.textContent()) ?? '';
      assert.ok(text.includes(device.deviceName), `${serial} shows its name “${device.deviceName}”: ${text}`);
      const os = `${PLATFORM[device.family]} ${device.osVersion}`;
      assert.ok(text.includes(os), `${serial} shows ${os}: ${text}`);
      assert.ok(text.includes('Acme Corp') && text.includes('Main Office'), `${serial} under Acme Corp › Main Office`);
      assert.match(text, /Enrolled (just now|\d+ minutes? ago)/);
    }
    assert.deepEqual(await sidewaysScrollers(), [], 'the devices table fits 1280 pixels');

    // What the page shows is what Orchard stored.
    const stored = (await t.api('GET', `/api/v1/devices?abmTokenId=${tokenId}&limit=100`)).json().items as DeviceJson[];
    for (const device of stored) {
      const want = reported.get(device.serialNumber);
      assert.deepEqual(
        [device.enrollmentState, device.deviceName, device.osVersion, device.customerName, device.siteName],
        ['enrolled', want?.deviceName, want?.osVersion, 'Acme Corp', 'Main Office'],
      );
      assert.ok(device.setupReleasedAt, `${device.serialNumber} released from Setup Assistant`);
    }

    // One device's drawer: what it reported, its timeline, its commands.
    const [serial, device] = [...reported][0] ?? [];
    assert.ok(serial && device);
    await page.getByRole('button', { name: serial, exact: true }).click();
    const details = drawer();
    await details.getByText(`${PLATFORM[device.family]} ${device.osVersion} (${device.buildVersion})`).waitFor();
    await details.getByText(device.udid, { exact: true }).waitFor();
    await details.getByText(device.productName, { exact: true }).waitFor();

    await details.getByRole('tab', { name: 'Enrollment timeline' }).click();
    const timeline = details.getByRole('tabpanel');
    for (const step of [
      'Enrollment profile served',
      'Identity certificate issued',
      'Authenticated',
      'Enrolled',
      'Released from Setup Assistant',
    ])
      await timeline.getByText(step, { exact: true }).waitFor();
    const steps = await timeline
      .locator('[data-outcome]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-outcome')));
    assert.deepEqual(steps, ['ok', 'ok', 'ok', 'ok', 'ok'], 'five steps, none refused');

    await details.getByRole('tab', { name: 'Commands' }).click();
    for (const requestType of ['DeviceInformation', 'DeviceConfigured']) {
      const row = details.getByRole('row').filter({ hasText: requestType });
      await row.getByText('Acknowledged', { exact: true }).waitFor();
    }
    await details.getByRole('button', { name: 'Close device details' }).click();
    await details.waitFor({ state: 'hidden' });
    assert.deepEqual(pageErrors, []);
  });

  test('the enrollment profile saves a minimum iOS version, and shows the server’s refusal of “17.x” under the field', async () => {
    await page.getByRole('link', { name: 'Auto-Enrollment' }).click();
    await page.getByRole('tab', { name: 'Apple Business Manager' }).click();
    const openProfile = async () => {
      await page.getByRole('button', { name: `Actions for ${SERVER_NAME}` }).click();
      await page.getByRole('menuitem', { name: 'Enrollment profile' }).click();
      const form = page.getByRole('dialog', { name: `Enrollment profile — ${SERVER_NAME}` });
      await form.getByLabel('Minimum iOS and iPadOS version').waitFor();
      return form;
    };

    let form = await openProfile();
    const ios = form.getByLabel('Minimum iOS and iPadOS version');
    assert.equal(await ios.inputValue(), '', 'no minimum to begin with');
    await ios.fill('17.x');
    await form.getByRole('button', { name: 'Save' }).click();
    const refusal = form.getByText('The minimum iOS version must look like "17.4" or "17.4.1".');
    await refusal.waitFor();
    assert.equal(await ios.getAttribute('aria-invalid'), 'true', 'the refusal is on the field');
    assert.equal(
      (await t.api('GET', `/api/v1/abm-tokens/${tokenId}/enrollment-profile`)).json().minimumIosVersion,
      null,
      'nothing saved',
    );

    await ios.fill('17.4');
    await refusal.waitFor({ state: 'detached' });
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'hidden' });
    const saved = (await t.api('GET', `/api/v1/abm-tokens/${tokenId}/enrollment-profile`)).json();
    assert.equal(saved.minimumIosVersion, '17.4');
    assert.equal(saved.minimumMacosVersion, null, 'the empty macOS field is sent as no minimum');

    form = await openProfile();
    assert.equal(await form.getByLabel('Minimum iOS and iPadOS version').inputValue(), '17.4');
    assert.equal(await form.getByLabel('Minimum macOS version').inputValue(), '');
    await form.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(pageErrors, []);
  });
});
