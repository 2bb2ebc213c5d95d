// What the upload wizard promises for files that are not a usable token: each case ends in
// its own typed error with a message that says what to do, and never echoes a secret.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import {
  AppleError,
  TokenCorruptError,
  TokenMissingFieldsError,
  TokenNotATokenFileError,
  TokenWrongKeyError,
} from '../../src/apple/errors.js';
import { generateTokenKeyPair } from '../../src/apple/pki.js';
import { MAX_TOKEN_FILE_BYTES, decryptServerToken } from '../../src/apple/token-file.js';
import {
  type KeyPairFiles,
  appleSmime,
  certificateFile,
  encryptWithOpenssl,
  openssl,
  opensslKeyPair,
  scratchDir,
} from './support/openssl.js';
import { NOW, appleFixture, appleFixtureDer, innerContent, syntheticToken, tokenJson } from './support/tokens.js';

const SECRETS = [
  ...Object.values(syntheticToken).filter((v): v is string => typeof v === 'string'),
  appleFixture.expected.consumerSecret,
  appleFixture.expected.accessSecret,
];

function assertRefused<E extends AppleError>(
  run: () => unknown,
  type: abstract new (...args: never[]) => E,
  code: string,
  check?: (error: E) => void,
): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const secret of SECRETS) assert.ok(!error.message.includes(secret), 'the message must not contain a secret');
    check?.(error);
    return true;
  });
}

const fixtureCandidates = [
  { id: 'fixture', privateKeyPem: appleFixture.privateKeyPem, certificatePem: appleFixture.certificatePem },
];

describe('files that are not a server token at all', () => {
  const notAToken = (file: Buffer) => () => decryptServerToken(file, fixtureCandidates, NOW);

  test('an empty file is refused with TOKEN_NOT_A_TOKEN_FILE and points to ABM › Download Token', () => {
    assertRefused(notAToken(Buffer.alloc(0)), TokenNotATokenFileError, 'TOKEN_NOT_A_TOKEN_FILE', (error) => {
      assert.match(error.message, /Apple Business Manager › Preferences › your MDM server › Download Token/);
    });
  });

  test('an HTML page (a saved login screen) is refused with TOKEN_NOT_A_TOKEN_FILE', () => {
    const html = Buffer.from(
      '<!DOCTYPE html>\n<html><head><title>Apple Business Manager</title></head><body>Sign in</body></html>\n',
    );
    assertRefused(notAToken(html), TokenNotATokenFileError, 'TOKEN_NOT_A_TOKEN_FILE');
  });

  test('random bytes are refused with TOKEN_NOT_A_TOKEN_FILE', () => {
    let seed = 7;
    const bytes = Buffer.alloc(2048, 0).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    assertRefused(notAToken(Buffer.from(bytes)), TokenNotATokenFileError, 'TOKEN_NOT_A_TOKEN_FILE');
  });

  test('the public key certificate itself, PEM or DER, is refused with TOKEN_NOT_A_TOKEN_FILE', () => {
    assertRefused(
      notAToken(Buffer.from(appleFixture.certificatePem)),
      TokenNotATokenFileError,
      'TOKEN_NOT_A_TOKEN_FILE',
    );
    const der = Buffer.from(new X509Certificate(appleFixture.certificatePem).raw);
    assertRefused(notAToken(der), TokenNotATokenFileError, 'TOKEN_NOT_A_TOKEN_FILE');
  });

  test('a private key is refused with TOKEN_NOT_A_TOKEN_FILE', () => {
    assertRefused(
      notAToken(Buffer.from(appleFixture.privateKeyPem)),
      TokenNotATokenFileError,
      'TOKEN_NOT_A_TOKEN_FILE',
    );
  });

  test('an already decrypted token (the inner text) is refused with TOKEN_NOT_A_TOKEN_FILE', () => {
    const inner = Buffer.from(innerContent({ mimeHeader: true, armour: true }));
    assertRefused(notAToken(inner), TokenNotATokenFileError, 'TOKEN_NOT_A_TOKEN_FILE');
  });

  test('a file over 1 MiB is refused with TOKEN_NOT_A_TOKEN_FILE before any parsing', () => {
    const big = Buffer.concat([appleFixtureDer(), Buffer.alloc(MAX_TOKEN_FILE_BYTES)]);
    const started = performance.now();
    assertRefused(notAToken(big), TokenNotATokenFileError, 'TOKEN_NOT_A_TOKEN_FILE', (error) => {
      assert.match(error.reason, /larger than 1 MiB/);
    });
    assert.ok(performance.now() - started < 1000);
  });

  describe('signed (not encrypted) CMS', () => {
    let scratch: Awaited<ReturnType<typeof scratchDir>>;
    let signer: KeyPairFiles;
    before(async () => {
      scratch = await scratchDir();
      signer = await opensslKeyPair(scratch.path, 'Signer');
    });
    after(() => scratch.remove());

    for (const [label, args] of [
      ['DER', ['-nodetach', '-outform', 'DER']],
      ['S/MIME (application/pkcs7-mime; smime-type=signed-data)', ['-nodetach', '-outform', 'SMIME']],
      ['S/MIME multipart/signed', ['-outform', 'SMIME']],
      ['PEM', ['-nodetach', '-outform', 'PEM']],
    ] as const) {
      test(`a signed-data CMS file as ${label} is refused with TOKEN_NOT_A_TOKEN_FILE`, async () => {
        const keyPath = `${scratch.path}/signer.key`;
        await writeFile(keyPath, signer.privateKeyPem);
        const signed = await openssl(['cms', '-sign', '-signer', signer.certificatePath, '-inkey', keyPath, ...args], {
          input: innerContent({ mimeHeader: true, armour: true }),
        });
        assertRefused(notAToken(signed), TokenNotATokenFileError, 'TOKEN_NOT_A_TOKEN_FILE');
      });
    }
  });
});

describe('tokens for Orchard that cannot be used', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let current: KeyPairFiles;
  let staged: KeyPairFiles;
  let stranger: KeyPairFiles;
  let candidates: Array<{ id: string; privateKeyPem: string; certificatePem: string }>;

  const encrypt = (to: KeyPairFiles, inner: string) =>
    encryptWithOpenssl(scratch.path, to.certificatePath, inner, {
      tool: 'cms',
      stream: true,
      outform: 'DER',
      cipher: '-aes128',
      transport: 'pkcs1',
    });

  before(async () => {
    scratch = await scratchDir();
    const [a, b] = await Promise.all([
      generateTokenKeyPair({ commonName: 'Orchard ABM token — Acme / HQ', now: NOW }),
      generateTokenKeyPair({ commonName: 'Orchard ABM token — Acme / HQ (renewal)', now: NOW }),
    ]);
    current = await certificateFile(scratch.path, a.certificatePem, a.privateKeyPem);
    staged = await certificateFile(scratch.path, b.certificatePem, b.privateKeyPem);
    stranger = await opensslKeyPair(scratch.path, 'Some other MDM');
    candidates = [
      { id: 'current', privateKeyPem: current.privateKeyPem, certificatePem: current.certificatePem },
      { id: 'staged', privateKeyPem: staged.privateKeyPem, certificatePem: staged.certificatePem },
    ];
  });
  after(() => scratch.remove());

  test('with a current and a staged key pair, a token for either is opened with the right one and its id returned', async () => {
    const forCurrent = await encrypt(current, innerContent({ mimeHeader: true, armour: true }));
    const forStaged = await encrypt(staged, innerContent({ mimeHeader: true, armour: true }));
    assert.equal(decryptServerToken(appleSmime(forCurrent), candidates, NOW).keyPairId, 'current');
    assert.equal(decryptServerToken(appleSmime(forStaged), candidates, NOW).keyPairId, 'staged');
    assert.equal(decryptServerToken(appleSmime(forStaged), [...candidates].reverse(), NOW).keyPairId, 'staged');
  });

  test('a token made for another public key is refused with TOKEN_WRONG_KEY, naming the certificate it was made for', async () => {
    const file = appleSmime(await encrypt(stranger, innerContent({ mimeHeader: true, armour: true })));
    assertRefused(
      () => decryptServerToken(file, candidates, NOW),
      TokenWrongKeyError,
      'TOKEN_WRONG_KEY',
      (error) => {
        assert.match(error.message, /different public key/);
        assert.match(error.message, /upload the public key/);
        assert.match(error.message, /download a new token/);
        const strangerSerial = new X509Certificate(stranger.certificatePem).serialNumber
          .toLowerCase()
          .replace(/^(00)+/, '');
        assert.deepEqual(error.recipients, [
          { kind: 'issuerAndSerialNumber', issuer: 'CN=Some other MDM', serialNumber: strangerSerial },
        ]);
      },
    );
  });

  test('the Apple-issued token offered to our key pairs is refused with TOKEN_WRONG_KEY, not as damaged', () => {
    assertRefused(() => decryptServerToken(appleFixture.file, candidates, NOW), TokenWrongKeyError, 'TOKEN_WRONG_KEY');
  });

  test('a truncated download is refused with TOKEN_CORRUPT', () => {
    const text = appleFixture.file.toString('latin1');
    const truncatedText = Buffer.from(text.slice(0, Math.floor(text.length * 0.8)), 'latin1');
    assertRefused(() => decryptServerToken(truncatedText, fixtureCandidates, NOW), TokenCorruptError, 'TOKEN_CORRUPT');
    const der = appleFixtureDer();
    for (const length of [20, 400, 700, der.length - 3]) {
      assertRefused(
        () => decryptServerToken(der.subarray(0, length), fixtureCandidates, NOW),
        TokenCorruptError,
        'TOKEN_CORRUPT',
      );
    }
  });

  test('a flipped byte in the encrypted content is refused with TOKEN_CORRUPT', () => {
    // The fixture's 512-byte encryptedContent starts at offset 445 (openssl asn1parse).
    for (const offset of [445 + 100, 445 + 511, 445 + 496]) {
      const der = appleFixtureDer();
      der[offset] = (der[offset] ?? 0) ^ 0x5a;
      assertRefused(() => decryptServerToken(der, fixtureCandidates, NOW), TokenCorruptError, 'TOKEN_CORRUPT');
      assertRefused(
        () => decryptServerToken(appleSmime(der), fixtureCandidates, NOW),
        TokenCorruptError,
        'TOKEN_CORRUPT',
      );
    }
  });

  test('a flipped byte in the wrapped content key is refused with TOKEN_CORRUPT', () => {
    // encryptedKey OCTET STRING contents at 139..394.
    const der = appleFixtureDer();
    der[300] = (der[300] ?? 0) ^ 0x01;
    assertRefused(() => decryptServerToken(der, fixtureCandidates, NOW), TokenCorruptError, 'TOKEN_CORRUPT');
  });

  test('a decrypted token whose JSON lacks access_secret is refused with TOKEN_MISSING_FIELDS naming it', async () => {
    const file = appleSmime(
      await encrypt(current, innerContent({ mimeHeader: true, armour: true }, tokenJson({ access_secret: undefined }))),
    );
    assertRefused(
      () => decryptServerToken(file, candidates, NOW),
      TokenMissingFieldsError,
      'TOKEN_MISSING_FIELDS',
      (error) => {
        assert.deepEqual(error.missingFields, ['access_secret']);
        assert.match(error.message, /access_secret/);
      },
    );
  });

  test('a decrypted token with empty consumer_secret and access_token is refused naming both', async () => {
    const file = appleSmime(
      await encrypt(
        current,
        innerContent({ mimeHeader: true, armour: true }, tokenJson({ consumer_secret: '', access_token: ' ' })),
      ),
    );
    assertRefused(
      () => decryptServerToken(file, candidates, NOW),
      TokenMissingFieldsError,
      'TOKEN_MISSING_FIELDS',
      (error) => {
        assert.deepEqual(error.missingFields, ['consumer_secret', 'access_token']);
      },
    );
  });

  test('an enveloped message that is not a server token at all is refused with TOKEN_MISSING_FIELDS', async () => {
    const file = appleSmime(await encrypt(current, 'Content-Type: text/plain\n\nHello, this is not a token.\n'));
    assertRefused(() => decryptServerToken(file, candidates, NOW), TokenMissingFieldsError, 'TOKEN_MISSING_FIELDS');
  });

  test('a token whose key pair certificate is unreadable fails as a plain Error naming the key pair (a storage bug, not the file)', () => {
    assert.throws(
      () => decryptServerToken(appleFixture.file, [{ id: 'broken', privateKeyPem: 'x', certificatePem: 'y' }], NOW),
      (error: unknown) =>
        error instanceof Error && !(error instanceof AppleError) && /key pair broken/.test(error.message),
    );
  });
});

describe('hostile structures', () => {
  const refusedQuickly = (file: Buffer, type: abstract new (...args: never[]) => AppleError, code: string) => {
    const started = performance.now();
    assertRefused(() => decryptServerToken(file, fixtureCandidates, NOW), type, code);
    assert.ok(performance.now() - started < 1000, 'refused within a second');
  };

  test('half a million nested indefinite-length SEQUENCEs are refused quickly, without a stack overflow', () => {
    refusedQuickly(
      Buffer.alloc(MAX_TOKEN_FILE_BYTES, Buffer.from([0x30, 0x80])),
      TokenNotATokenFileError,
      'TOKEN_NOT_A_TOKEN_FILE',
    );
  });

  test('deep nesting behind a valid enveloped-data header is refused quickly as TOKEN_CORRUPT', () => {
    const prefix = Buffer.from('308006092a864886f70d010703a080', 'hex');
    const nest = Buffer.alloc(MAX_TOKEN_FILE_BYTES - prefix.length, Buffer.from([0x30, 0x80]));
    refusedQuickly(Buffer.concat([prefix, nest]), TokenCorruptError, 'TOKEN_CORRUPT');
  });

  test('an element claiming a 4 GiB length is refused as TOKEN_CORRUPT', () => {
    refusedQuickly(
      Buffer.from('308006092a864886f70d010703a084ffffffff3000', 'hex'),
      TokenCorruptError,
      'TOKEN_CORRUPT',
    );
  });

  test('a million OCTET STRING segments are refused quickly', () => {
    const prefix = Buffer.from('308006092a864886f70d010703a080', 'hex');
    const segments = Buffer.alloc(MAX_TOKEN_FILE_BYTES - prefix.length, Buffer.from([0x04, 0x00]));
    refusedQuickly(Buffer.concat([prefix, segments]), TokenCorruptError, 'TOKEN_CORRUPT');
  });
});
