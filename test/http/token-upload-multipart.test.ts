import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ServerToken } from '../../src/apple/token-file.js';
import type { AppleAccountGateway } from '../../src/domain/abm-tokens.js';
import type { AbmServer } from '../../src/store/repositories/abm-tokens.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { tokenFileFor, tokenJson } from '../helpers/token-files.js';

/** Apple's `/account` answers with the same server for every token. */
const apple: AppleAccountGateway = {
  async account(_depBaseUrl: string, _token: ServerToken): Promise<AbmServer> {
    return { name: 'Bravo MDM', uuid: 'uuid-bravo', orgName: 'Bravo', orgEmail: 'it@bravo.example', adminId: 'a' };
  },
};

const BOUNDARY = 'orchard-boundary';

/** A file part, or with no file name a text field. */
function part(name: string, content: string | Buffer, filename: string | null = 'Server_Token_smime.p7m') {
  const headers =
    filename === null
      ? `Content-Disposition: form-data; name="${name}"`
      : `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/pkcs7-mime`;
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')]);
}
const closing = Buffer.from(`--${BOUNDARY}--\r\n`);
const form = (...parts: Buffer[]) => Buffer.concat([...parts, closing]);

for (const { engine, skip } of await engines()) {
  describe(`malformed multipart token uploads on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    let tokenId: string;
    let file: Buffer;

    before(async () => {
      t = await startTestOrchard(engine, { apple });
      const customerId = (await t.api('POST', '/api/v1/customers', { name: 'Bravo Corp' })).json().id;
      const siteId = (await t.api('POST', `/api/v1/customers/${customerId}/sites`, { name: 'HQ' })).json().id;
      tokenId = (await t.api('POST', '/api/v1/abm-tokens', { customerId, siteId })).json().id;
      const pem = (await t.api('GET', `/api/v1/abm-tokens/${tokenId}/public-key`)).body;
      file = await tokenFileFor(pem, tokenJson().json);
      const connected = await upload(form(part('token', file)));
      assert.equal(connected.statusCode, 200, connected.body);
      assert.equal(connected.json().status, 'active');
    });
    after(() => t.close());

    const upload = (body: Buffer | string, contentType = `multipart/form-data; boundary=${BOUNDARY}`) =>
      t.api('PUT', `/api/v1/abm-tokens/${tokenId}/token`, body, { 'content-type': contentType });

    test('each malformed body answers 400 MALFORMED_MULTIPART saying what to send; the stored token is untouched', async () => {
      const before = (await t.api('GET', `/api/v1/abm-tokens/${tokenId}`)).json();
      const good = form(part('token', file));
      const hugeBoundary = 'b'.repeat(100_000);
      const cases: Array<[string, Buffer | string, string?]> = [
        ['no boundary', good, 'multipart/form-data'],
        ['an empty boundary', good, 'multipart/form-data; boundary='],
        [
          'a boundary longer than RFC 2046’s 70 characters',
          good.toString('latin1').replaceAll(BOUNDARY, hugeBoundary),
          `multipart/form-data; boundary=${hugeBoundary}`,
        ],
        ['a body cut off inside the file', good.subarray(0, good.length - closing.length - 40)],
        ['a body cut off inside a part’s headers', good.subarray(0, 50)],
        ['a body with no parts', closing],
        ['an empty body', Buffer.alloc(0)],
        ['the file in the wrong field', form(part('file', file))],
        ['the token as a text field', form(part('token', 'MIME-Version: 1.0', null))],
        ['two files', form(part('token', file), part('token', file))],
        ['more fields than a form needs', form(...Array.from({ length: 6 }, (_, i) => part(`f${i}`, 'v', null)))],
        ['a part named like a built-in', form(part('__proto__', file))],
        ['a JSON field that is not JSON', form(part('token', file), jsonField('meta', '{"a":'))],
      ];
      for (const [what, body, contentType] of cases) {
        const res = await upload(body, contentType);
        assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.equal(res.json().code, 'MALFORMED_MULTIPART', what);
        assert.match(
          res.json().detail,
          /raw request body, or as multipart\/form-data with one file in the field "token"/,
        );
      }
      assert.deepEqual((await t.api('GET', `/api/v1/abm-tokens/${tokenId}`)).json(), before);
    });

    test('control characters in part names, file names and fields are refused like any other input', async () => {
      for (const body of [
        form(part('tok\u0000en', file)),
        form(part('token', file, 'Server\u0000.p7m')),
        form(part('note', 'a\u0000b', null), part('token', file)),
      ]) {
        const res = await upload(body);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().code, 'VALIDATION_FAILED', res.body);
        assert.match(res.json().detail, /multipart .* contains the control character U\+0000/);
      }
    });

    test('a well-formed upload with a small extra field still renews the token', async () => {
      const res = await upload(form(part('source', 'web', null), part('token', file)));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().serverName, 'Bravo MDM');
    });
  });
}

function jsonField(name: string, value: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\nContent-Type: application/json\r\n\r\n${value}\r\n`,
  );
}
