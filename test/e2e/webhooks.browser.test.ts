// Webhooks in Chromium: an admin adds a webhook for device.added pointing at a receiver started
// here, copies its signing secret from the dialog that shows it once, and sends a test message:
// the delivery turns Delivered, and the receiver got a webhook.test message whose signature
// the `standardwebhooks` package (sharing no code with Orchard) verifies with that secret.
// Pointed at a port nothing listens on, the next test message shows Failed with the error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { WebhookWorker } from '../../src/jobs/webhook-worker.js';
import { launchChromium, signInAsAdmin } from '../helpers/browser.js';
import { ROOT, freePort } from '../helpers/cli.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { browserSkipReason } from '../helpers/services.js';

const WEB_DIST = path.join(ROOT, 'web', 'dist');

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

describe(
  'webhooks in Chromium: add, secret shown once, Send test delivered and signed, then failing',
  { skip: browserSkipReason() },
  () => {
    let t: TestOrchard;
    let worker: WebhookWorker;
    let receiver: http.Server;
    let receiverUrl: string;
    let browser: Browser;
    let page: Page;
    let base: string;
    const received: Received[] = [];
    const pageErrors: string[] = [];

    before(async () => {
      assert.ok(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'the web app is built (npm test builds it first)');
      // The receiver: keeps what arrives and answers 204 No Content.
      receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          res.statusCode = 204;
          res.end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/orchard`;

      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      t = await startTestOrchard('sqlite', {
        webDist: WEB_DIST,
        env: { ORCHARD_PUBLIC_URL: base, PORT: String(port) },
      });
      await t.app.listen({ host: '127.0.0.1', port });
      // What `orchard serve` runs for webhooks: fan-out and sending, every second or at once when a test is queued.
      worker = new WebhookWorker(t.orchard.deliverer, t.orchard.abmTokens, t.orchard.emailDigests, t.app.log);
      worker.start();

      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await signInAsAdmin(page, base);
    });
    after(async () => {
      await browser?.close();
      await worker?.stop();
      await t?.close();
      await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    });

    /** A row of the deliveries table (its header row left out). */
    const deliveryRow = (what: string) =>
      page
        .getByRole('table', { name: 'Deliveries' })
        .getByRole('row')
        .filter({ has: page.getByRole('cell'), hasText: what });

    test('a test message arrives signed with the secret shown once; a receiver that refuses shows Failed', async () => {
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await page.waitForURL(`${base}/settings/webhooks`);
      await page.getByText('No webhooks yet').waitFor();

      // Add the webhook; the server's refusal of a URL with a password shows under the URL.
      await page.getByRole('button', { name: 'Add webhook', exact: true }).click();
      const addDialog = page.getByRole('dialog', { name: 'Add webhook' });
      const url = addDialog.getByRole('textbox', { name: 'URL' });
      await url.fill(receiverUrl.replace('http://', 'http://psa:hunter2@'));
      await addDialog.getByRole('textbox', { name: 'Description' }).fill('PSA intake');
      await addDialog.getByRole('checkbox', { name: /^Device added/ }).check();
      assert.equal(await addDialog.getByRole('radio', { name: /^All customers/ }).isChecked(), true);
      await addDialog.getByRole('button', { name: 'Add webhook' }).click();
      await addDialog.getByText('Put no user name or password in the webhook URL').waitFor();
      assert.equal(await url.getAttribute('aria-invalid'), 'true');
      await url.fill(receiverUrl);
      await addDialog.getByRole('button', { name: 'Add webhook' }).click();

      // The signing secret, shown once.
      const secretDialog = page.getByRole('dialog', { name: 'Webhook added' });
      await secretDialog.getByText('Store it now: it cannot be shown again').waitFor();
      await secretDialog.getByText('webhook-signature').waitFor();
      await secretDialog.getByRole('button', { name: 'Copy signing secret' }).waitFor();
      const secret = await secretDialog.getByRole('textbox', { name: 'Signing secret' }).inputValue();
      assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      await secretDialog.getByRole('button', { name: 'Done' }).click();
      await secretDialog.waitFor({ state: 'detached' });

      const row = page.getByRole('row').filter({ hasText: receiverUrl });
      await row.getByText('Device added').waitFor();
      await row.getByText('All customers').waitFor();
      await row.getByText('Active').waitFor();
      await row.getByText('PSA intake').waitFor();

      // Its page: no deliveries yet; Send test, and the delivery turns Delivered on its own.
      await row.getByRole('link', { name: receiverUrl }).click();
      await page.getByRole('heading', { name: receiverUrl }).waitFor();
      await page.getByText('No deliveries yet').waitFor();
      await page.getByRole('button', { name: 'Send test', exact: true }).click();
      await page.getByText('Test message queued').waitFor();
      const delivered = deliveryRow('Test message');
      await delivered.getByText('Delivered').waitFor({ timeout: 10_000 });
      await delivered.getByText('HTTP 204').waitFor();

      // The receiver got it, signed with the secret the dialog showed.
      assert.equal(received.length, 1);
      const [message] = received as [Received];
      const verified = new Webhook(secret).verify(message.body, {
        'webhook-id': String(message.headers['webhook-id']),
        'webhook-timestamp': String(message.headers['webhook-timestamp']),
        'webhook-signature': String(message.headers['webhook-signature']),
      }) as { type: string; data: Record<string, unknown> };
      assert.equal(verified.type, 'webhook.test');
      assert.throws(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(message.body, {
          'webhook-id': String(message.headers['webhook-id']),
          'webhook-timestamp': String(message.headers['webhook-timestamp']),
          'webhook-signature': String(message.headers['webhook-signature']),
        }),
      );
      // Its attempt log names the webhook-id the receiver saw.
      await delivered.getByRole('button', { name: 'Show attempts' }).click();
      await page.getByText(String(message.headers['webhook-id'])).waitFor();

      // Pointed at a port nothing listens on, a test message fails, and says why.
      const closed = `http://127.0.0.1:${await freePort()}/hooks/orchard`;
      await page.getByRole('button', { name: 'Webhook actions' }).click();
      await page.getByRole('menuitem', { name: 'Edit' }).click();
      const editDialog = page.getByRole('dialog', { name: 'Edit webhook' });
      assert.equal(await editDialog.getByRole('checkbox', { name: /^Device added/ }).isChecked(), true);
      await editDialog.getByRole('textbox', { name: 'URL' }).fill(closed);
      await editDialog.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: closed }).waitFor();
      await page.getByRole('button', { name: 'Send test', exact: true }).click();
      const failed = deliveryRow('Failed');
      await failed.getByText('Orchard could not reach the receiver').waitFor({ timeout: 10_000 });
      await failed.getByText('Test message').waitFor();
      await deliveryRow('Delivered').waitFor();
      assert.equal(received.length, 1, 'nothing more reached the first receiver');
      // A failed test message does not disable the webhook.
      assert.equal(await page.getByText('This webhook is disabled').count(), 0);
      assert.deepEqual(pageErrors, []);
    });
  },
);
