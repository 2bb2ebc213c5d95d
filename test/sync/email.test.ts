// Email reminders against a real SMTP listener (the `smtp-server` package) with a password,
// each message parsed by `mailparser`: three expiring tokens make one digest, not three mails;
// a customer's recipient hears only of that customer; "Send test email" arrives; a mail server
// that refuses is reported without the password.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { ManualClock } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { customerWithSites, json, startSyncOrchard, type SyncHarness } from './support.js';

const SMTP_PASSWORD = 'smtp-password-not-to-be-seen';

for (const { engine, skip } of await engines()) {
  describe(`email reminders on ${engine}`, { skip }, () => {
    let h: SyncHarness;
    const mails: ParsedMail[] = [];
    let smtp: SMTPServer;
    // Ahead of the sandbox's real clock by a minute, so "N days left" is N (see webhooks.test.ts).
    const clock = new ManualClock(new Date(Date.now() + 60_000));

    before(async () => {
      smtp = new SMTPServer({
        authOptional: false,
        allowInsecureAuth: true,
        disabledCommands: ['STARTTLS'],
        onAuth(auth, _session, callback) {
          if (auth.username === 'orchard' && auth.password === SMTP_PASSWORD) callback(null, { user: 'orchard' });
          else callback(new Error('bad credentials'));
        },
        onData(stream, _session, callback) {
          simpleParser(stream)
            .then((mail) => {
              mails.push(mail);
              callback();
            })
            .catch(callback);
        },
      });
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      const port = (smtp.server.address() as AddressInfo).port;
      h = await startSyncOrchard(engine, {
        clock,
        env: {
          ORCHARD_SMTP_URL: `smtp://orchard:${SMTP_PASSWORD}@127.0.0.1:${port}`,
          ORCHARD_SMTP_FROM: 'Orchard <orchard@msp.example>',
          ORCHARD_EMAIL_DIGEST_MINUTES: '10',
        },
      });
    });
    after(async () => {
      await h.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    });

    async function expiringToken(customerId: string, siteId: string, name: string, days: number) {
      const token = json(await h.api('POST', '/api/v1/abm-tokens', { customerId, siteId }), 201);
      const publicKeyPem = (await h.api('GET', `/api/v1/abm-tokens/${token['id']}/public-key`)).body;
      const server = json(await h.portal('POST', '/mdm-servers', { name, publicKeyPem }), 201);
      const file = await h.portal('GET', `/mdm-servers/${server['id']}/token?expiresInDays=${days}`);
      const uploaded = await h.app.inject({
        method: 'PUT',
        url: `/api/v1/abm-tokens/${token['id']}/token`,
        headers: {
          authorization: `Bearer ${h.orchard.config.bootstrap.apiKey ?? ''}`,
          'content-type': 'application/octet-stream',
        },
        payload: file.rawPayload,
      });
      assert.equal(uploaded.statusCode, 200, uploaded.body);
      return json(await h.api('GET', `/api/v1/abm-tokens/${token['id']}`));
    }

    test('three expiring tokens make one digest for the MSP; a customer’s recipient hears of its own token only', async () => {
      const contoso = await customerWithSites(h, 'Contoso', ['Main Office', 'Lab']);
      const fabrikam = await customerWithSites(h, 'Fabrikam', ['HQ']);
      json(await h.api('POST', '/api/v1/email-recipients', { email: 'alerts@msp.example' }), 201);
      json(
        await h.api('POST', '/api/v1/email-recipients', {
          email: 'it@fabrikam.example',
          customerId: fabrikam.customerId,
        }),
        201,
      );
      const taken = await h.api('POST', '/api/v1/email-recipients', { email: 'ALERTS@msp.example' });
      assert.equal(taken.statusCode, 409);

      const tokens = [
        await expiringToken(contoso.customerId, contoso.siteIds[0] ?? '', 'Contoso MDM', 10),
        await expiringToken(contoso.customerId, contoso.siteIds[1] ?? '', 'Contoso Lab MDM', 5),
        await expiringToken(fabrikam.customerId, fabrikam.siteIds[0] ?? '', 'Fabrikam MDM', 20),
      ];
      assert.equal(await h.orchard.abmTokens.sendExpiryNotices(), 3);
      await h.orchard.deliverer.runPass();
      assert.equal(await h.orchard.emailDigests.sendDue(), 0, 'the digest waits for company');
      clock.advance(10 * 60 * 1000);
      assert.equal(await h.orchard.emailDigests.sendDue(), 2);
      assert.equal(await h.orchard.emailDigests.sendDue(), 0, 'sent once');

      const msp = mails.filter((m) => m.to !== undefined && JSON.stringify(m.to).includes('alerts@msp.example'));
      assert.equal(msp.length, 1, 'one digest, not three mails');
      const [digest] = msp;
      assert.equal(digest?.subject, 'Orchard: 3 ABM token reminders');
      assert.deepEqual(digest?.from?.value, [{ address: 'orchard@msp.example', name: 'Orchard' }]);
      for (const token of tokens)
        assert.ok(digest?.text?.includes(token['statusDetail'] as string), 'the same words as the token');
      assert.match(digest?.text ?? '', /Contoso › Lab \(Contoso Lab MDM\): ABM token expires in 5 days/);

      const fab = mails.filter((m) => JSON.stringify(m.to).includes('it@fabrikam.example'));
      assert.equal(fab.length, 1);
      assert.equal(fab[0]?.subject, 'Orchard: Fabrikam › HQ (Fabrikam MDM): ABM token expires in 20 days');
      assert.ok(!fab[0]?.text?.includes('Contoso'), 'nothing about another customer');
    });

    test('Send test email arrives; a refusing mail server is reported without the password', async () => {
      const before = mails.length;
      const sent = await h.api('POST', '/api/v1/email-recipients/test', { to: 'me@msp.example' });
      assert.equal(sent.statusCode, 204, sent.body);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(mails.length, before + 1);
      assert.equal(mails.at(-1)?.subject, 'Orchard: test email');

      const { smtpMailer } = await import('../../src/domain/mailer.js');
      const wrong = smtpMailer(
        `smtp://orchard:wrong-${SMTP_PASSWORD}@127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
        'Orchard <orchard@msp.example>',
      );
      await assert.rejects(
        () => wrong.send({ to: ['me@msp.example'], subject: 's', text: 't' }),
        (error: Error & { code?: string }) =>
          error.code === 'SMTP_FAILED' &&
          !error.message.includes(SMTP_PASSWORD) &&
          /ORCHARD_SMTP_URL/.test(error.message),
      );
    });
  });
}
