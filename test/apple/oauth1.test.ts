import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthHeaderError } from '../../src/apple/errors.js';
import {
  buildAuthorizationHeader,
  hmacSha1Signature,
  parseAuthorizationHeader,
  percentEncode,
  signatureBaseString,
  verifySignature,
} from '../../src/apple/oauth1.js';
import { openssl } from './support/openssl.js';

// OAuth Core 1.0 appendix A.5 / RFC 5849 §1.2 "photos.example.net" credentials.
const PHOTOS = {
  method: 'GET',
  url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
  consumerKey: 'dpf43f3p2l4k3l03',
  consumerSecret: 'kd94hf93k423kf44',
  token: 'nnch734d00sl2jdk',
  tokenSecret: 'pfkkdhi9sl3r4s00',
};

test('percentEncode keeps only the RFC 3986 unreserved set and encodes UTF-8 octets in upper-case hex', () => {
  assert.equal(percentEncode('AZaz09-._~'), 'AZaz09-._~');
  assert.equal(percentEncode("!*'()"), '%21%2A%27%28%29');
  assert.equal(percentEncode('Ladies + Gentlemen'), 'Ladies%20%2B%20Gentlemen');
  assert.equal(percentEncode('Dogs, Cats & Mice'), 'Dogs%2C%20Cats%20%26%20Mice');
  assert.equal(percentEncode('☃'), '%E2%98%83');
  assert.equal(percentEncode('a/b=c?d'), 'a%2Fb%3Dc%3Fd');
});

test('the signature base string matches RFC 5849 §3.4.1.1, with query and body parameters sorted and realm left out', () => {
  const base = signatureBaseString('post', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', [
    ['oauth_consumer_key', '9djdj82h48djs9d2'],
    ['oauth_token', 'kkk9d7dh3k39sjv7'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131201'],
    ['oauth_nonce', '7d8f3e4a'],
    ['oauth_signature', 'bYT5CMsGcbgUdFHObYMEfcx6bsw='],
    ['c2', ''],
    ['a3', '2 q'],
  ]);
  assert.equal(
    base,
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26' +
      'oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26' +
      'oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
  );
});

test('the base string URI lower-cases scheme and host and drops default ports (RFC 5849 §3.4.1.2)', () => {
  const params = { oauth_nonce: 'n' };
  assert.match(
    signatureBaseString('GET', 'HTTP://EXAMPLE.COM:80/r%20v/X?id=123', params),
    /^GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&/,
  );
  assert.match(
    signatureBaseString('GET', 'https://www.example.net:8080/?q=1', params),
    /^GET&https%3A%2F%2Fwww.example.net%3A8080%2F&/,
  );
  assert.match(
    signatureBaseString('GET', 'https://mdmenrollment.apple.com:443/session', params),
    /^GET&https%3A%2F%2Fmdmenrollment.apple.com%2Fsession&/,
  );
});

test('the RFC 5849 §1.2 photos request signs to MdpQcU8iPSUjWoN/UDMsK2sui9I=', () => {
  const base = signatureBaseString(PHOTOS.method, PHOTOS.url, {
    oauth_consumer_key: PHOTOS.consumerKey,
    oauth_token: PHOTOS.token,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: '137131202',
    oauth_nonce: 'chapoH',
  });
  assert.equal(hmacSha1Signature(base, PHOTOS.consumerSecret, PHOTOS.tokenSecret), 'MdpQcU8iPSUjWoN/UDMsK2sui9I=');
});

test('the Authorization header for the photos example (nonce kllo9940pd9333jh, 1191242096) carries signature tR3+Ty81lMeYAr/Fid0kMTYa/WM=', () => {
  const header = buildAuthorizationHeader({ ...PHOTOS, nonce: 'kllo9940pd9333jh', timestamp: 1191242096 });
  assert.equal(
    header,
    'OAuth realm="ADM", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", ' +
      'oauth_signature_method="HMAC-SHA1", oauth_signature="tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D", ' +
      'oauth_timestamp="1191242096", oauth_nonce="kllo9940pd9333jh", oauth_version="1.0"',
  );
});

test('realm is never signed: any realm, or none, gives the same signature', () => {
  const signatureOf = (realm: string | null | undefined) =>
    parseAuthorizationHeader(buildAuthorizationHeader({ ...PHOTOS, nonce: 'n1', timestamp: 1, realm })).params[
      'oauth_signature'
    ];
  assert.equal(signatureOf('ADM'), signatureOf('Photos'));
  assert.equal(signatureOf(null), signatureOf(undefined));
  assert.doesNotMatch(buildAuthorizationHeader({ ...PHOTOS, nonce: 'n1', timestamp: 1, realm: null }), /realm/);
});

test('HMAC-SHA1 agrees with `openssl dgst -sha1 -hmac` on a key whose secrets need percent-encoding', async () => {
  const consumerSecret = 'CS_a&b=c+d/é';
  const tokenSecret = 'AS_~x y%z';
  const base = signatureBaseString('GET', 'https://mdmenrollment.apple.com/session', {
    oauth_consumer_key: 'CK_0123',
    oauth_token: 'AT_O1O2O3',
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: '1748779200',
    oauth_nonce: 'a1b2c3d4e5',
    oauth_version: '1.0',
  });
  const key = 'CS_a%26b%3Dc%2Bd%2F%C3%A9&AS_~x%20y%25z'; // written out by hand from RFC 5849 §3.6
  const mac = await openssl(['dgst', '-sha1', '-hmac', key, '-binary'], { input: base });
  assert.equal(hmacSha1Signature(base, consumerSecret, tokenSecret), mac.toString('base64'));
});

test('a header Orchard builds parses back and verifies with the right secrets', () => {
  const url = 'https://mdmenrollment.apple.com/session';
  const header = buildAuthorizationHeader({
    method: 'GET',
    url,
    consumerKey: 'CK_abc',
    consumerSecret: 'CS_secret',
    token: 'AT_O1O2O3',
    tokenSecret: 'AS_secret',
    nonce: 'f00d',
    timestamp: 1748779200,
  });
  const authorization = parseAuthorizationHeader(header);
  assert.equal(authorization.realm, 'ADM');
  assert.equal(authorization.params['oauth_consumer_key'], 'CK_abc');
  assert.equal(authorization.params['oauth_token'], 'AT_O1O2O3');
  assert.equal(authorization.params['oauth_timestamp'], '1748779200');
  assert.equal(
    verifySignature({ method: 'GET', url, authorization }, { consumerSecret: 'CS_secret', tokenSecret: 'AS_secret' }),
    true,
  );
});

test('verifySignature rejects a wrong consumer secret, a wrong token secret and a tampered request', () => {
  const url = 'https://mdmenrollment.apple.com/session';
  const authorization = parseAuthorizationHeader(
    buildAuthorizationHeader({
      method: 'GET',
      url,
      consumerKey: 'CK',
      consumerSecret: 'CS',
      token: 'AT',
      tokenSecret: 'AS',
      nonce: 'n',
      timestamp: 1,
    }),
  );
  const secrets = { consumerSecret: 'CS', tokenSecret: 'AS' };
  assert.equal(verifySignature({ method: 'GET', url, authorization }, { ...secrets, consumerSecret: 'CS2' }), false);
  assert.equal(verifySignature({ method: 'GET', url, authorization }, { ...secrets, tokenSecret: 'AS2' }), false);
  assert.equal(verifySignature({ method: 'POST', url, authorization }, secrets), false);
  assert.equal(verifySignature({ method: 'GET', url: `${url}?x=1`, authorization }, secrets), false);
  const tampered = { realm: authorization.realm, params: { ...authorization.params, oauth_nonce: 'other' } };
  assert.equal(verifySignature({ method: 'GET', url, authorization: tampered }, secrets), false);
  const plaintext = { realm: null, params: { ...authorization.params, oauth_signature_method: 'PLAINTEXT' } };
  assert.equal(verifySignature({ method: 'GET', url, authorization: plaintext }, secrets), false);
});

test('verifySignature accepts the photos example as another implementation signed it', () => {
  const authorization = parseAuthorizationHeader(
    'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", ' +
      'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", ' +
      'oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"',
  );
  assert.equal(
    verifySignature(
      { method: 'GET', url: PHOTOS.url, authorization },
      { consumerSecret: PHOTOS.consumerSecret, tokenSecret: PHOTOS.tokenSecret },
    ),
    true,
  );
});

test('malformed Authorization headers are refused with OAUTH_HEADER_INVALID', () => {
  const valid =
    'oauth_consumer_key="k", oauth_token="t", oauth_signature_method="HMAC-SHA1", oauth_signature="s", oauth_timestamp="1", oauth_nonce="n"';
  for (const header of [
    '',
    `Bearer ${valid}`,
    'OAuth oauth_consumer_key="k"',
    `OAuth ${valid}, oauth_nonce="again"`,
    `OAuth ${valid}, broken`,
    `OAuth ${valid}, oauth_version="%E0%A4%A"`,
  ]) {
    assert.throws(
      () => parseAuthorizationHeader(header),
      (error: unknown) => {
        assert.ok(error instanceof OAuthHeaderError, header);
        assert.equal(error.code, 'OAUTH_HEADER_INVALID');
        return true;
      },
    );
  }
});
