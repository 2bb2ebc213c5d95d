import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

for (const { engine, skip } of await engines()) {
  describe(`names that cannot be told apart on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    let bravoId: string;
    before(async () => {
      t = await startTestOrchard(engine);
      bravoId = (await t.api('POST', '/api/v1/customers', { name: 'Bravo Corp' })).json().id;
    });
    after(() => t.close());

    const refusedAsInvisible = (res: { statusCode: number; json(): { code: string; detail: string } }) => {
      assert.equal(res.statusCode, 400, JSON.stringify(res.json()));
      assert.equal(res.json().code, 'VALIDATION_FAILED');
      assert.match(res.json().detail, /invisible character \(U\+[0-9A-F]{4}\) at position \d+/);
    };

    test('"\\u200bBravo Corp" cannot stand next to "Bravo Corp", nor can bidi tricks', async () => {
      for (const name of ['\u200bBravo Corp', 'Bravo\u200d Corp', 'Bravo \u202eproC', 'Bra\u00advo Corp']) {
        refusedAsInvisible(await t.api('POST', '/api/v1/customers', { name }));
        refusedAsInvisible(await t.api('PATCH', `/api/v1/customers/${bravoId}`, { name }));
        refusedAsInvisible(await t.api('POST', `/api/v1/customers/${bravoId}/sites`, { name }));
      }
      const listed = (await t.api('GET', '/api/v1/customers?q=bravo')).json().items;
      assert.deepEqual(
        listed.map((c: { name: string }) => c.name),
        ['Bravo Corp'],
      );
    });

    test('a name typed decomposed (e + U+0301) is the same name as the composed one', async () => {
      const created = await t.api('POST', '/api/v1/customers', { name: 'Caf\u00e9 Bravo' });
      assert.equal(created.statusCode, 201);
      const again = await t.api('POST', '/api/v1/customers', { name: 'Cafe\u0301 Bravo' });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'NAME_TAKEN');
    });

    test('an enrollment profile name is held to the same rule', async () => {
      const siteId = (await t.api('POST', `/api/v1/customers/${bravoId}/sites`, { name: 'HQ' })).json().id;
      const tokenId = (await t.api('POST', '/api/v1/abm-tokens', { customerId: bravoId, siteId })).json().id;
      const url = `/api/v1/abm-tokens/${tokenId}/enrollment-profile`;
      const { url: _u, profileUuid: _p, definedAt: _d, lastError: _e, ...current } = (await t.api('GET', url)).json();
      refusedAsInvisible(await t.api('PUT', url, { ...current, profileName: '\u2066Bravo HQ' }));
      assert.equal((await t.api('GET', url)).json().profileName, current.profileName);
    });
  });
}
