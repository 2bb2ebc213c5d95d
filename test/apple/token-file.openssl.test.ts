// Tokens made at test time by `openssl smime|cms -encrypt` in every combination ABM and
// other tools are known to produce, to two recipients: a key pair from Orchard's own
// generateTokenKeyPair and one from `openssl req -x509 -newkey rsa:2048`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTokenKeyPair } from '../../src/apple/pki.js';
import { decryptServerToken } from '../../src/apple/token-file.js';
import {
  type Cipher,
  type EncryptOptions,
  type KeyPairFiles,
  type KeyTransport,
  type OutForm,
  appleSmime,
  certificateFile,
  encryptWithOpenssl,
  opensslKeyPair,
  pem,
  scratchDir,
  toCrlf,
} from './support/openssl.js';
import { INNER_SHAPES, NOW, describeShape, innerContent, syntheticToken } from './support/tokens.js';

const CIPHERS: readonly Cipher[] = ['-aes128', '-aes192', '-aes256', '-des3'];
const OUTFORMS: readonly OutForm[] = ['SMIME', 'PEM', 'DER'];

interface Case {
  readonly options: EncryptOptions;
  readonly innerShape: (typeof INNER_SHAPES)[number];
}

function cases(): Case[] {
  const list: Case[] = [];
  for (const tool of ['smime', 'cms'] as const) {
    const transports: readonly KeyTransport[] = tool === 'smime' ? ['pkcs1'] : ['pkcs1', 'oaep', 'oaep-sha256'];
    for (const transport of transports) {
      for (const stream of [true, false]) {
        for (const outform of OUTFORMS) {
          for (const cipher of CIPHERS) {
            // Rotate the inner content's shape through the matrix; every shape is also
            // covered on its own below.
            const i = list.length + Math.floor(list.length / CIPHERS.length);
            const innerShape = INNER_SHAPES[i % INNER_SHAPES.length] ?? { mimeHeader: true, armour: true };
            list.push({ options: { tool, transport, stream, outform, cipher }, innerShape });
          }
        }
      }
    }
  }
  return list;
}

function describeCase({ options, innerShape }: Case): string {
  const transport = { pkcs1: 'RSA PKCS#1 v1.5', oaep: 'RSA-OAEP', 'oaep-sha256': 'RSA-OAEP-SHA256' }[options.transport];
  return `openssl ${options.tool}${options.stream ? ' -stream' : ''} -outform ${options.outform} ${options.cipher} ${transport} (${describeShape(innerShape)})`;
}

/** The same encrypted token in each container a user may upload. */
function containers(output: Buffer, outform: OutForm): Array<[string, Buffer]> {
  if (outform === 'DER') {
    return [
      ['raw DER/BER', output],
      ["Apple's headers, 76 columns, LF", appleSmime(output, 76, '\n')],
      ["Apple's headers, 64 columns, CRLF", appleSmime(output, 64, '\r\n')],
      ['PEM PKCS7, 64 columns, CRLF', pem(output, 'PKCS7', 64, '\r\n')],
      ['PEM CMS, 76 columns, LF', pem(output, 'CMS', 76, '\n')],
      ['bare base64 without headers', Buffer.from(output.toString('base64'))],
    ];
  }
  return [
    [`OpenSSL ${outform}, LF`, output],
    [`OpenSSL ${outform}, CRLF`, toCrlf(output)],
  ];
}

const ALL_CASES = cases();

for (const recipientKind of ['generateTokenKeyPair', 'openssl req -x509'] as const) {
  describe(`tokens OpenSSL encrypted to a key pair made by ${recipientKind}`, () => {
    let scratch: Awaited<ReturnType<typeof scratchDir>>;
    let recipient: KeyPairFiles;
    const outputs = new Map<Case, Buffer>();

    before(async () => {
      scratch = await scratchDir();
      if (recipientKind === 'generateTokenKeyPair') {
        const pair = await generateTokenKeyPair({
          commonName: 'Orchard ABM token — Test Customer / Main Office',
          now: NOW,
        });
        recipient = await certificateFile(scratch.path, pair.certificatePem, pair.privateKeyPem);
      } else {
        recipient = await opensslKeyPair(scratch.path, 'OpenSSL-made recipient');
      }
      // One OpenSSL process per case, a few at a time, before the (synchronous) checks.
      const queue = [...ALL_CASES];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
            outputs.set(
              c,
              await encryptWithOpenssl(scratch.path, recipient.certificatePath, innerContent(c.innerShape), c.options),
            );
          }
        }),
      );
    });
    after(() => scratch.remove());

    const candidates = () => [
      { id: 'current', privateKeyPem: recipient.privateKeyPem, certificatePem: recipient.certificatePem },
    ];

    for (const c of ALL_CASES) {
      test(`a token from ${describeCase(c)} decrypts in every container`, () => {
        const output = outputs.get(c);
        assert.ok(output);
        if (c.options.stream && c.options.outform === 'DER') {
          // -stream must really have produced BER with indefinite lengths (X.690 §8.1.3.6).
          assert.equal(output[1], 0x80, 'expected an indefinite-length outer SEQUENCE');
        }
        for (const [container, file] of containers(output, c.options.outform)) {
          const { token, keyPairId } = decryptServerToken(file, candidates(), NOW);
          assert.equal(keyPairId, 'current', container);
          assert.deepEqual(token, syntheticToken, container);
        }
      });
    }

    test('a token addressed by subjectKeyIdentifier (openssl cms -keyid) decrypts', async () => {
      for (const transport of ['pkcs1', 'oaep-sha256'] as const) {
        const der = await encryptWithOpenssl(
          scratch.path,
          recipient.certificatePath,
          innerContent({ mimeHeader: true, armour: true }),
          {
            tool: 'cms',
            stream: true,
            outform: 'DER',
            cipher: '-aes128',
            transport,
            keyid: true,
          },
        );
        const { token } = decryptServerToken(appleSmime(der), candidates(), NOW);
        assert.deepEqual(token, syntheticToken, transport);
      }
    });

    test('every shape of inner content (MIME header or not, armour or not, CRLF) yields the same token', async () => {
      for (const shape of INNER_SHAPES) {
        const der = await encryptWithOpenssl(scratch.path, recipient.certificatePath, innerContent(shape), {
          tool: 'cms',
          stream: true,
          outform: 'DER',
          cipher: '-aes128',
          transport: 'pkcs1',
        });
        const { token } = decryptServerToken(appleSmime(der), candidates(), NOW);
        assert.deepEqual(token, syntheticToken, describeShape(shape));
      }
    });
  });
}
