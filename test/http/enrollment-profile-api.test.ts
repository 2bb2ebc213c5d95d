import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

for (const { engine, skip } of await engines()) {
  describe(`enrollment profile API on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    let customerId: string;
    let siteIds: string[];
    let tokenId: string;
    const url = () => `/api/v1/abm-tokens/${tokenId}/enrollment-profile`;

    before(async () => {
      t = await startTestOrchard(engine, { env: { ORCHARD_PUBLIC_URL: 'https://orchard.example.com/' } });
      customerId = (await t.api('POST', '/api/v1/customers', { name: 'Acme Corp' })).json().id;
      siteIds = [];
      for (const name of ['Main Office', 'Lab']) {
        siteIds.push((await t.api('POST', `/api/v1/customers/${customerId}/sites`, { name })).json().id);
      }
      tokenId = (await t.api('POST', '/api/v1/abm-tokens', { customerId, siteId: siteIds[0] })).json().id;
    });
    after(() => t.close());

    const editable = async () => {
      const {
        url: _url,
        profileUuid: _uuid,
        definedAt: _at,
        lastError: _error,
        ...rest
      } = (await t.api('GET', url())).json();
      return rest as Record<string, unknown>;
    };

    test('a new token has a profile with sensible defaults and an unguessable enrollment URL of its own', async () => {
      const res = await t.api('GET', url());
      assert.equal(res.statusCode, 200, res.body);
      const profile = res.json();
      assert.equal(profile.profileName, 'Acme Corp – Main Office');
      assert.deepEqual(
        [profile.isSupervised, profile.isMandatory, profile.isMdmRemovable, profile.awaitDeviceConfigured],
        [true, true, false, true],
      );
      assert.ok(profile.skipSetupItems.length > 0);
      assert.deepEqual(
        [profile.profileUuid, profile.definedAt, profile.lastError, profile.department],
        [null, null, null, null],
      );
      assert.match(
        profile.url,
        /^https:\/\/orchard\.example\.com\/mdm\/enroll\/[A-Za-z0-9_-]{43}$/,
        '32 random bytes, base64url',
      );
      const other = (await t.api('POST', '/api/v1/abm-tokens', { customerId, siteId: siteIds[1] })).json().id;
      const otherProfile = (await t.api('GET', `/api/v1/abm-tokens/${other}/enrollment-profile`)).json();
      assert.notEqual(otherProfile.url, profile.url);
      assert.equal(otherProfile.profileName, 'Acme Corp – Lab');
    });

    test('PUT stores every editable field and answers the same shape', async () => {
      const body = {
        ...(await editable()),
        profileName: 'Acme devices',
        isMandatory: false,
        skipSetupItems: ['AppleID', 'Siri', 'Siri'],
        department: '  IT Services  ',
        supportPhoneNumber: '+1 555 0100',
        supportEmailAddress: 'help@acme.example',
        language: 'EN',
        region: 'us',
      };
      const res = await t.api('PUT', url(), body);
      assert.equal(res.statusCode, 200, res.body);
      const saved = res.json();
      assert.deepEqual(
        [saved.profileName, saved.isMandatory, saved.skipSetupItems, saved.department, saved.language, saved.region],
        ['Acme devices', false, ['AppleID', 'Siri'], 'IT Services', 'en', 'US'],
      );
      assert.deepEqual((await t.api('GET', url())).json(), saved);
    });

    test('Apple’s limits are checked before anything is sent: 400 VALIDATION_FAILED naming the field', async () => {
      const base = await editable();
      const cases: Array<[string, Record<string, unknown>]> = [
        ['profileName', { profileName: '   ' }],
        ['profileName', { profileName: 'x'.repeat(126) }],
        ['department', { department: 'd'.repeat(126) }],
        ['supportPhoneNumber', { supportPhoneNumber: '1'.repeat(51) }],
        ['supportEmailAddress', { supportEmailAddress: `${'a'.repeat(245)}@x.com` }],
        ['supportEmailAddress', { supportEmailAddress: 'not an email' }],
        ['isMdmRemovable', { isMdmRemovable: false, isSupervised: false }],
        ['skipSetupItems', { skipSetupItems: ['Siri', 'NoSuchPane'] }],
        ['language', { language: 'english' }],
        ['region', { region: 'USA' }],
      ];
      for (const [field, change] of cases) {
        const res = await t.api('PUT', url(), { ...base, ...change });
        assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
        assert.equal(res.json().code, 'VALIDATION_FAILED');
        assert.equal(res.json().field, field, res.body);
      }
      assert.equal(
        (await t.api('PUT', url(), { ...base, profileName: 'é'.repeat(125) })).statusCode,
        200,
        '125 characters is fine',
      );
      const { department: _department, ...missing } = base;
      assert.equal((await t.api('PUT', url(), missing)).statusCode, 400, 'every editable field is required');
      assert.equal((await t.api('PUT', url(), { ...base, extra: 1 })).statusCode, 400);
      assert.equal((await t.api('GET', url())).json().profileName, 'é'.repeat(125), 'refusals changed nothing');
    });

    test('the default name follows the token to another site; a chosen one stays', async () => {
      const body = await editable();
      assert.equal((await t.api('PUT', url(), { ...body, profileName: 'Acme Corp – Main Office' })).statusCode, 200);
      await t.api('PATCH', `/api/v1/abm-tokens/${tokenId}`, { customerId, siteId: siteIds[1] });
      assert.equal((await t.api('GET', url())).json().profileName, 'Acme Corp – Lab');
      assert.equal((await t.api('PUT', url(), { ...body, profileName: 'Chosen' })).statusCode, 200);
      await t.api('PATCH', `/api/v1/abm-tokens/${tokenId}`, { customerId, siteId: siteIds[0] });
      assert.equal((await t.api('GET', url())).json().profileName, 'Chosen');
    });

    test('another customer’s token is not found for a technician', async () => {
      const other = (await t.api('POST', '/api/v1/customers', { name: 'Other Co' })).json().id;
      await t.orchard.users.createUser({
        email: `ep-${engine}@example.com`,
        password: 'technician password',
        role: 'technician',
        customerIds: [other],
      });
      const { key } = await t.orchard.apiKeys.createFromShell({ name: 'tech', userEmail: `ep-${engine}@example.com` });
      const res = await t.api('GET', url(), undefined, { authorization: `Bearer ${key}` });
      assert.equal(res.statusCode, 404);
      const put = await t.api('PUT', url(), await editable(), { authorization: `Bearer ${key}` });
      assert.equal(put.statusCode, 404);
      assert.equal((await t.api('GET', '/api/v1/abm-tokens/missing/enrollment-profile')).statusCode, 404);
    });
  });
}
