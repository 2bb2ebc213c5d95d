import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DepTermsNotAcceptedError, DepUnavailableError } from '../../src/apple/dep/index.js';
import type { ServerToken } from '../../src/apple/token-file.js';
import type { AppleAccountGateway } from '../../src/domain/abm-tokens.js';
import type { AbmServer } from '../../src/store/repositories/abm-tokens.js';
import { ManualClock, dumpDatabase, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { tokenFileFor, tokenJson } from '../helpers/token-files.js';

/** Apple's `/account` as these tests script it: by consumer key, a server or a failure. */
class ScriptedApple implements AppleAccountGateway {
  readonly answers = new Map<string, AbmServer | Error>();
  calls = 0;
  async account(_depBaseUrl: string, token: ServerToken): Promise<AbmServer> {
    this.calls += 1;
    const answer = this.answers.get(token.consumerKey);
    if (answer === undefined) throw new Error(`no scripted answer for ${token.consumerKey.slice(0, 8)}`);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

function server(name: string, uuid: string): AbmServer {
  return { name, uuid, orgName: 'Acme Corp', orgEmail: 'it@acme.example', adminId: 'admin@acme.example' };
}

for (const { engine, skip } of await engines()) {
  describe(`ABM tokens API on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    const apple = new ScriptedApple();
    const clock = new ManualClock(new Date('2026-06-01T12:00:00.000Z'));
    let customerId: string;
    let siteIds: string[];

    before(async () => {
      t = await startTestOrchard(engine, { apple, clock });
      customerId = (await t.api('POST', '/api/v1/customers', { name: 'Acme Corp' })).json().id;
      siteIds = [];
      for (const name of ['Main Office', 'Warehouse', 'Lab']) {
        siteIds.push((await t.api('POST', `/api/v1/customers/${customerId}/sites`, { name })).json().id);
      }
    });
    after(() => t.close());

    async function newToken(siteId = siteIds[0]) {
      const res = await t.api('POST', '/api/v1/abm-tokens', { customerId, siteId });
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as { id: string; status: string };
    }
    const publicKey = async (id: string) => (await t.api('GET', `/api/v1/abm-tokens/${id}/public-key`)).body;
    const upload = (id: string, file: Buffer, contentType = 'application/octet-stream') =>
      t.api('PUT', `/api/v1/abm-tokens/${id}/token`, file, { 'content-type': contentType });

    async function connectedToken(name: string, uuid: string, siteId = siteIds[0]) {
      const token = await newToken(siteId);
      const { json, consumerKey } = tokenJson();
      apple.answers.set(consumerKey, server(name, uuid));
      const res = await upload(token.id, await tokenFileFor(await publicKey(token.id), json));
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    }

    test('a new token awaits its file and hands out the same certificate on every download', async () => {
      const token = await newToken();
      assert.equal(token.status, 'awaiting_token');
      const res = await t.api('GET', `/api/v1/abm-tokens/${token.id}/public-key`);
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^application\/x-pem-file/);
      assert.match(
        String(res.headers['content-disposition']),
        /^attachment; filename="Orchard_Acme-Corp_Main-Office\.pem"/,
      );
      const cert = new X509Certificate(res.body);
      assert.match(cert.subject, /Acme Corp/);
      assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(await publicKey(token.id), res.body, 'the same certificate again');
      assert.doesNotMatch(res.body, /PRIVATE KEY/);
    });

    test('uploading the token ABM issued makes it active with the server Apple names; secrets never come back', async () => {
      const token = await newToken();
      const { json, consumerKey, secrets } = tokenJson();
      apple.answers.set(consumerKey, server('Orchard Server 1', 'uuid-active-1'));
      const res = await upload(token.id, await tokenFileFor(await publicKey(token.id), json));
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.status, 'active');
      assert.equal(body.serverName, 'Orchard Server 1');
      assert.equal(body.serverUuid, 'uuid-active-1');
      assert.equal(body.orgName, 'Acme Corp');
      assert.equal(body.adminId, 'admin@acme.example');
      assert.equal(body.expiresAt, '2027-06-01T12:00:00.000Z');
      assert.equal(body.customerName, 'Acme Corp');
      assert.equal(body.siteName, 'Main Office');
      const everything = JSON.stringify([body, (await t.api('GET', '/api/v1/abm-tokens')).json()]);
      for (const secret of [consumerKey, ...secrets]) assert.equal(everything.includes(secret), false);
      assert.equal(
        (await t.api('GET', `/api/v1/abm-tokens?siteId=${siteIds[0]}`))
          .json()
          .items.some((i: { id: string }) => i.id === token.id),
        true,
      );
      assert.equal((await t.api('GET', `/api/v1/abm-tokens?siteId=${siteIds[2]}`)).json().items.length, 0);
    });

    test('the token file also arrives as multipart field "token"', async () => {
      const token = await newToken(siteIds[1]);
      const { json, consumerKey } = tokenJson();
      apple.answers.set(consumerKey, server('Multipart Server', 'uuid-multipart'));
      const file = await tokenFileFor(await publicKey(token.id), json);
      const boundary = 'orchard-test-boundary';
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="token"; filename="Server_Token_smime.p7m"\r\nContent-Type: application/pkcs7-mime\r\n\r\n`,
        ),
        file,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await upload(token.id, body, `multipart/form-data; boundary=${boundary}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().serverName, 'Multipart Server');
    });

    test('every bad upload gets its own code and leaves the pending token as it was', async () => {
      const token = await newToken(siteIds[2]);
      const before = (await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).json();
      const keyBefore = await publicKey(token.id);
      const expect = async (file: Buffer, status: number, code: string) => {
        const res = await upload(token.id, file);
        assert.equal(res.statusCode, status, `${code}: ${res.body}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.equal(res.json().code, code);
        assert.ok(res.json().detail.length > 40, 'the detail says what to do');
      };

      await expect(Buffer.alloc(0), 400, 'TOKEN_FILE_EMPTY');
      await expect(
        Buffer.from('<!DOCTYPE html><html><body>Sign in to Apple Business Manager</body></html>'),
        400,
        'TOKEN_NOT_A_TOKEN_FILE',
      );
      await expect(Buffer.from('just some text that is not a token'), 400, 'TOKEN_NOT_A_TOKEN_FILE');
      await expect(Buffer.alloc(20 * 1024 * 1024, 0x41), 413, 'TOKEN_FILE_TOO_LARGE');

      const other = await newToken(siteIds[2]);
      const forOther = tokenJson();
      await expect(await tokenFileFor(await publicKey(other.id), forOther.json), 400, 'TOKEN_WRONG_KEY');

      const expired = tokenJson({ expiry: '2026-01-01T00:00:00Z' });
      await expect(await tokenFileFor(keyBefore, expired.json), 400, 'TOKEN_EXPIRED');

      const terms = tokenJson();
      apple.answers.set(terms.consumerKey, new DepTermsNotAcceptedError('GET /account'));
      const termsRes = await upload(token.id, await tokenFileFor(keyBefore, terms.json));
      assert.equal(termsRes.json().code, 'DEP_TERMS_NOT_ACCEPTED');
      assert.match(termsRes.json().detail, /terms/i);
      assert.ok(termsRes.statusCode >= 400 && termsRes.statusCode < 500);

      const down = tokenJson();
      apple.answers.set(
        down.consumerKey,
        new DepUnavailableError('GET /account', 'mdmenrollment.apple.com', 'HTTP 503', 3, true),
      );
      const downRes = await upload(token.id, await tokenFileFor(keyBefore, down.json));
      assert.equal(downRes.statusCode, 503, downRes.body);
      assert.equal(downRes.json().code, 'APPLE_UNAVAILABLE');
      assert.match(downRes.json().detail, /Nothing was changed/);

      const taken = await connectedToken('Taken Server', 'uuid-taken', siteIds[1]);
      const dup = tokenJson();
      apple.answers.set(dup.consumerKey, server('Taken Server', 'uuid-taken'));
      const dupRes = await upload(token.id, await tokenFileFor(keyBefore, dup.json));
      assert.equal(dupRes.statusCode, 409);
      assert.equal(dupRes.json().code, 'TOKEN_SERVER_ALREADY_CONNECTED');
      assert.match(dupRes.json().detail, new RegExp(`Acme Corp / ${taken.siteName}`));

      assert.deepEqual((await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).json(), before, 'untouched');
      assert.equal(await publicKey(token.id), keyBefore, 'same key pair');
    });

    test('renewal: a token of the same MDM server renews, even with a new consumer key; another server is refused', async () => {
      const token = await connectedToken('Renewable', 'uuid-renew');
      const renewal = tokenJson({ expiry: '2028-01-01T00:00:00Z' });
      apple.answers.set(renewal.consumerKey, server('Renewable', 'uuid-renew'));
      const renewed = await upload(token.id, await tokenFileFor(await publicKey(token.id), renewal.json));
      assert.equal(renewed.statusCode, 200, renewed.body);
      assert.equal(renewed.json().expiresAt, '2028-01-01T00:00:00.000Z');

      const wrong = tokenJson();
      apple.answers.set(wrong.consumerKey, server('Some Other Server', 'uuid-other'));
      const refused = await upload(token.id, await tokenFileFor(await publicKey(token.id), wrong.json));
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().code, 'TOKEN_SERVER_MISMATCH');
      assert.match(refused.json().detail, /Some Other Server/);
      assert.equal((await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).json().expiresAt, '2028-01-01T00:00:00.000Z');
    });

    test('a staged key pair serves ABM "Replace Certificate": either key opens a token until the new one is used', async () => {
      const token = await connectedToken('Rekeyed', 'uuid-rekey');
      const oldKey = await publicKey(token.id);
      const staged = await t.api('POST', `/api/v1/abm-tokens/${token.id}/public-key`);
      assert.equal(staged.statusCode, 201);
      const newKey = await publicKey(token.id);
      assert.notEqual(newKey, oldKey);

      const viaOld = tokenJson();
      apple.answers.set(viaOld.consumerKey, server('Rekeyed', 'uuid-rekey'));
      assert.equal(
        (await upload(token.id, await tokenFileFor(oldKey, viaOld.json))).statusCode,
        200,
        'the current key still works',
      );
      assert.equal(await publicKey(token.id), newKey, 'the staged key is still offered');

      const viaNew = tokenJson();
      apple.answers.set(viaNew.consumerKey, server('Rekeyed', 'uuid-rekey'));
      assert.equal((await upload(token.id, await tokenFileFor(newKey, viaNew.json))).statusCode, 200);
      const again = tokenJson();
      apple.answers.set(again.consumerKey, server('Rekeyed', 'uuid-rekey'));
      const res = await upload(token.id, await tokenFileFor(oldKey, again.json));
      assert.equal(res.json().code, 'TOKEN_WRONG_KEY', 'the retired key is gone');
    });

    test('status follows the clock: expiring soon within 30 days, then expired', async () => {
      const token = await newToken(siteIds[1]);
      const { json, consumerKey } = tokenJson({ expiry: '2026-06-21T12:00:00Z' });
      apple.answers.set(consumerKey, server('Short-lived', 'uuid-short'));
      const res = await upload(token.id, await tokenFileFor(await publicKey(token.id), json));
      assert.equal(res.json().status, 'expiring_soon');
      assert.match(res.json().statusDetail, /expires in 20 days/);
      clock.advance(21 * 24 * 3600_000);
      const later = (await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).json();
      assert.equal(later.status, 'expired');
      assert.match(later.statusDetail, /Download Token/);
      clock.advance(-21 * 24 * 3600_000);
    });

    test('checking with Apple records terms not accepted, and the status clears when Apple answers again', async () => {
      const token = await newToken(siteIds[1]);
      const { json, consumerKey } = tokenJson();
      apple.answers.set(consumerKey, server('Checked', 'uuid-checked'));
      assert.equal((await upload(token.id, await tokenFileFor(await publicKey(token.id), json))).statusCode, 200);

      apple.answers.set(consumerKey, new DepTermsNotAcceptedError('GET /account'));
      await t.orchard.abmTokens.checkWithApple(token.id);
      const blocked = (await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).json();
      assert.equal(blocked.status, 'terms_not_accepted');
      assert.match(blocked.statusDetail, /sign in to Apple Business Manager and accept/);

      apple.answers.set(
        consumerKey,
        new DepUnavailableError('GET /account', 'mdmenrollment.apple.com', 'HTTP 503', 5, true),
      );
      await t.orchard.abmTokens.checkWithApple(token.id);
      assert.equal((await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).json().status, 'unreachable');

      apple.answers.set(consumerKey, server('Checked', 'uuid-checked'));
      await t.orchard.abmTokens.checkWithApple(token.id);
      assert.equal((await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).json().status, 'active');
    });

    test('a token moves to another site of its customer, not to another customer’s site', async () => {
      const token = await connectedToken('Mover', 'uuid-move');
      const moved = await t.api('PATCH', `/api/v1/abm-tokens/${token.id}`, { customerId, siteId: siteIds[2] });
      assert.equal(moved.statusCode, 200);
      assert.equal(moved.json().siteName, 'Lab');
      const other = (await t.api('POST', '/api/v1/customers', { name: 'Other Co' })).json();
      const otherSite = (await t.api('POST', `/api/v1/customers/${other.id}/sites`, { name: 'HQ' })).json();
      const mismatch = await t.api('PATCH', `/api/v1/abm-tokens/${token.id}`, { customerId, siteId: otherSite.id });
      assert.equal(mismatch.statusCode, 400);
      const site = await t.api('DELETE', `/api/v1/sites/${siteIds[2]}`);
      assert.equal(site.statusCode, 409, 'a site with a token cannot be deleted');
      assert.equal(site.json().code, 'SITE_NOT_EMPTY');
      assert.match(site.json().detail, /ABM token/);
    });

    test('deleting a token destroys its key pairs and credentials; the database never held them in clear', async () => {
      const token = await newToken(siteIds[1]);
      const { json, consumerKey, secrets } = tokenJson();
      apple.answers.set(consumerKey, server('Doomed', 'uuid-doomed'));
      assert.equal((await upload(token.id, await tokenFileFor(await publicKey(token.id), json))).statusCode, 200);

      const dump = await dumpDatabase(t);
      assert.ok(dump.includes(Buffer.from('uuid-doomed')), 'the dump holds the token');
      for (const secret of [...secrets, 'BEGIN PRIVATE KEY'])
        assert.equal(dump.includes(Buffer.from(secret)), false, `${secret.slice(0, 8)}… not in clear`);

      const count = async () =>
        Number(
          (
            await t.orchard.db.kysely
              .selectFrom('secrets')
              .select((e) => e.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      assert.equal((await t.api('DELETE', `/api/v1/abm-tokens/${token.id}`)).statusCode, 204);
      assert.equal(await count(), before - 2, 'the private key and the credentials are gone');
      assert.equal((await t.api('GET', `/api/v1/abm-tokens/${token.id}`)).statusCode, 404);
    });
  });
}
