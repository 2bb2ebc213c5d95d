// Accounts in Chromium: an admin invites a technician for one customer, the technician sets a
// password through the link and sees only that customer; disabling the technician ends its
// open session and its API key at once. The audit log shows the admin who did each of those
// things, and the technician only what concerns its customer. A read-only user is offered no changes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInAsAdmin } from '../helpers/browser.js';
import { ROOT, freePort } from '../helpers/cli.js';
import { TEST_ADMIN, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { browserSkipReason } from '../helpers/services.js';

const WEB_DIST = path.join(ROOT, 'web', 'dist');
const TECHNICIAN = { email: 'tech@example.com', password: 'a long enough technician password' };
const VIEWER = { email: 'viewer@example.com', password: 'a long enough viewer password' };

describe(
  'accounts in Chromium: invitation, scope, API key, disabling, read-only',
  { skip: browserSkipReason() },
  () => {
    let t: TestOrchard;
    let browser: Browser;
    let base: string;
    let northwindId: string;
    const pageErrors: string[] = [];

    before(async () => {
      assert.ok(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'the web app is built (npm test builds it first)');
      // The public URL is the one the browser uses, so the invitation link the server makes opens as it is.
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      t = await startTestOrchard('sqlite', {
        webDist: WEB_DIST,
        env: { ORCHARD_PUBLIC_URL: base, PORT: String(port) },
      });
      await t.app.listen({ host: '127.0.0.1', port });
      northwindId = (await t.api('POST', '/api/v1/customers', { name: 'Northwind' })).json().id;
      await t.api('POST', '/api/v1/customers', { name: 'Contoso' });
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await t?.close();
    });

    /** A page in a browser context of its own: its own cookies, so its own session. */
    async function newPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    }

    async function signIn(page: Page, email: string, password: string): Promise<void> {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/customers`);
    }

    const customerRow = (page: Page, name: string) => page.getByRole('row').filter({ hasText: name });
    /** The audit log's row of an entry ("Disabled user · tech@example.com"); its header row is left out. */
    const auditRow = (page: Page, what: string) =>
      page.getByRole('row').filter({ has: page.getByRole('cell'), hasText: what });

    test('an invited technician sees only its customer; disabling it ends its session and API key at once', async () => {
      const admin = await newPage();
      await signInAsAdmin(admin, base);

      // Settings › Users: add the technician for Northwind, with an invitation link.
      await admin.getByRole('link', { name: 'Users' }).click();
      await admin.getByRole('button', { name: 'Add user' }).click();
      const addDialog = admin.getByRole('dialog', { name: 'Add user' });
      await addDialog.getByLabel('Email').fill(TECHNICIAN.email);
      await addDialog.getByRole('radio', { name: 'Technician' }).check();
      await addDialog.getByRole('combobox', { name: 'Customers' }).click();
      await admin.getByRole('option', { name: 'Northwind' }).click();
      await addDialog.getByRole('heading', { name: 'Add user' }).click(); // closes the list of customers
      assert.equal(await addDialog.getByRole('radio', { name: 'Send an invitation link' }).isChecked(), true);
      await addDialog.getByRole('button', { name: 'Add user' }).click();

      const linkDialog = admin.getByRole('dialog', { name: 'Invitation link' });
      await linkDialog.getByText('This link will not be shown again').waitFor();
      await linkDialog.getByRole('button', { name: 'Copy invitation link' }).waitFor();
      const link = await linkDialog.getByRole('textbox', { name: 'Invitation link' }).inputValue();
      assert.match(link, new RegExp(`^${base}/set-password#token=[\\w-]+$`));
      await linkDialog.getByRole('button', { name: 'Done' }).click();
      const technicianRow = admin.getByRole('row').filter({ hasText: TECHNICIAN.email });
      await technicianRow.getByText('Invited').waitFor();
      await technicianRow.getByText('Northwind').waitFor();

      // The technician, in a browser of its own, chooses a password with the link and signs in.
      const technician = await newPage();
      await technician.goto(link);
      await technician.getByLabel('New password', { exact: true }).fill(TECHNICIAN.password);
      await technician.getByLabel('Repeat the new password').fill(TECHNICIAN.password);
      await technician.getByRole('button', { name: 'Set password' }).click();
      await technician.getByText('Password set').waitFor();
      assert.equal(technician.url(), `${base}/login`);
      await signIn(technician, TECHNICIAN.email, TECHNICIAN.password);
      await customerRow(technician, 'Northwind').waitFor();
      assert.equal(await customerRow(technician, 'Contoso').count(), 0, 'only its own customer is listed');
      assert.equal(await technician.getByRole('button', { name: 'New customer' }).count(), 0);
      assert.equal(await technician.getByRole('link', { name: 'Users' }).count(), 0);

      // Its audit log holds only what concerns Northwind: no user entries, nothing about Contoso.
      await technician.getByRole('link', { name: 'Audit log' }).click();
      await technician.waitForURL(`${base}/audit-log`);
      const created = auditRow(technician, 'Created customer · Northwind');
      await created.waitFor();
      assert.equal(
        await technician
          .getByRole('row')
          .filter({ has: technician.getByRole('cell') })
          .count(),
        1,
      );
      assert.equal(await technician.getByText(/Contoso|Invited user|Set password with link/).count(), 0);
      // Nor is it offered actions about users, which it never sees.
      await technician.getByRole('combobox', { name: 'Action' }).click();
      await technician.getByRole('option', { name: 'Renamed site' }).waitFor();
      assert.equal(await technician.getByRole('option', { name: 'Invited user' }).count(), 0);
      await technician.keyboard.press('Escape');
      await technician.getByRole('link', { name: 'Customers', exact: true }).click();

      // The admin gives the technician an API key, in Settings › API keys; it works.
      await admin.getByRole('link', { name: 'API keys' }).click();
      await admin.getByRole('button', { name: 'Create API key' }).click();
      const keyDialog = admin.getByRole('dialog', { name: 'Create API key' });
      await keyDialog.getByLabel('Name').fill('PSA sync');
      await keyDialog.getByRole('combobox', { name: 'Acts as' }).click();
      await admin.getByRole('option', { name: TECHNICIAN.email }).click();
      await keyDialog.getByRole('button', { name: 'Create key' }).click();
      const createdDialog = admin.getByRole('dialog', { name: 'API key created' });
      await createdDialog.getByText('Store it now: it cannot be shown again').waitFor();
      const key = await createdDialog.getByRole('textbox', { name: 'API key' }).inputValue();
      await createdDialog.getByRole('button', { name: 'Done' }).click();
      await admin.getByRole('row').filter({ hasText: 'PSA sync' }).filter({ hasText: TECHNICIAN.email }).waitFor();
      const withKey = () => fetch(`${base}/api/v1/customers`, { headers: { authorization: `Bearer ${key}` } });
      const allowed = await withKey();
      assert.equal(allowed.status, 200);
      assert.deepEqual(
        ((await allowed.json()) as { items: { name: string }[] }).items.map((c) => c.name),
        ['Northwind'],
      );

      // The admin disables the technician.
      await admin.getByRole('link', { name: 'Users' }).click();
      await technicianRow.getByRole('button', { name: `Actions for ${TECHNICIAN.email}` }).click();
      await admin.getByRole('menuitem', { name: 'Disable' }).click();
      const disableDialog = admin.getByRole('dialog', { name: 'Disable user?' });
      await disableDialog.getByText(/signed out everywhere at once, and its API keys stop working at once/).waitFor();
      await disableDialog.getByRole('button', { name: 'Disable user' }).click();
      await technicianRow.getByText('Disabled').waitFor();

      // The admin's audit log: who invited and disabled the technician, and Orchard recording the
      // password the technician set with its link (no one was signed in to do it).
      await admin.getByRole('link', { name: 'Audit log' }).click();
      const disabledEntry = auditRow(admin, `Disabled user · ${TECHNICIAN.email}`);
      await disabledEntry.waitFor();
      await disabledEntry.getByText(TEST_ADMIN.email).waitFor();
      await disabledEntry.getByText('sessions ended: 1').waitFor();
      const invitedEntry = auditRow(admin, `Invited user · ${TECHNICIAN.email}`);
      await invitedEntry.getByText(TEST_ADMIN.email).waitFor();
      await invitedEntry.getByText('customers: Northwind').waitFor();
      const passwordEntry = auditRow(admin, `Set password with link · ${TECHNICIAN.email}`);
      await passwordEntry.getByText('Orchard', { exact: true }).waitFor();
      assert.equal(await passwordEntry.getByText(TEST_ADMIN.email).count(), 0);
      // Filtered by action, only that entry is left.
      await admin.getByRole('combobox', { name: 'Action' }).click();
      await admin.getByRole('option', { name: 'Disabled user' }).click();
      await admin.waitForURL(`${base}/audit-log?action=user.disabled`);
      await invitedEntry.waitFor({ state: 'detached' });
      await disabledEntry.waitFor();
      await admin.getByRole('link', { name: 'Users' }).click();

      // The technician's open page: its next API call is refused, and the app asks it to sign in.
      const refused = technician.waitForResponse((r) => r.url().startsWith(`${base}/api/v1/`) && r.status() === 401);
      await technician.getByRole('link', { name: 'Northwind' }).click();
      await refused;
      await technician.getByRole('button', { name: 'Sign in' }).waitFor();
      await technician.reload();
      await technician.getByRole('button', { name: 'Sign in' }).waitFor();
      // And its API key stopped working at the same time.
      assert.equal((await withKey()).status, 401);
      assert.deepEqual(pageErrors, []);
    });

    test('a read-only user is offered no changes', async () => {
      const created = await t.api('POST', '/api/v1/users', {
        email: VIEWER.email,
        role: 'read_only',
        customerIds: [northwindId],
        password: VIEWER.password,
      });
      assert.equal(created.statusCode, 201);
      const viewer = await newPage();
      await viewer.goto(`${base}/login`);
      await signIn(viewer, VIEWER.email, VIEWER.password);
      await customerRow(viewer, 'Northwind').waitFor();
      await viewer.getByText('Read-only', { exact: true }).waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'New customer' }).count(), 0);
      assert.equal(await viewer.getByRole('button', { name: 'Actions for Northwind' }).count(), 0);

      await viewer.getByRole('link', { name: 'Northwind' }).click();
      await viewer.getByRole('heading', { name: 'Sites' }).waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'New site' }).count(), 0);
      assert.equal(await viewer.getByRole('button', { name: 'Customer actions' }).count(), 0);

      await viewer.getByRole('link', { name: 'Auto-Enrollment' }).click();
      await viewer.getByText('No ABM tokens connected yet').waitFor();
      assert.equal(await viewer.getByRole('button', { name: /Add .*ABM token/ }).count(), 0);
      assert.deepEqual(pageErrors, []);
    });
  },
);
