// Deterministic fuzzing of the token reader: thousands of damaged variants of a valid,
// OpenSSL-made token. Each must either decrypt or be refused with an AppleError; nothing
// may crash, throw anything else, or hang (a hang fails through the test timeout).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AppleError } from '../../src/apple/errors.js';
import { decryptServerToken } from '../../src/apple/token-file.js';
import {
  type KeyPairFiles,
  appleSmime,
  asn1HeaderOffsets,
  encryptWithOpenssl,
  opensslKeyPair,
  scratchDir,
} from './support/openssl.js';
import { NOW, innerContent } from './support/tokens.js';
import { prng } from '../helpers/prng.js';

const MUTATIONS = 3000;

let scratch: Awaited<ReturnType<typeof scratchDir>>;
let recipient: KeyPairFiles;
let der: Buffer;
let smime: Buffer;
let headerOffsets: number[];

before(async () => {
  scratch = await scratchDir();
  recipient = await opensslKeyPair(scratch.path, 'Fuzz recipient');
  // Streamed (indefinite-length BER), like Apple's files, so length damage hits both forms.
  der = await encryptWithOpenssl(
    scratch.path,
    recipient.certificatePath,
    innerContent({ mimeHeader: true, armour: true }),
    {
      tool: 'cms',
      stream: true,
      outform: 'DER',
      cipher: '-aes128',
      transport: 'pkcs1',
    },
  );
  smime = appleSmime(der);
  headerOffsets = await asn1HeaderOffsets(der);
});
after(() => scratch.remove());

type Mutation = { kind: string; file: Buffer };

function mutate(random: () => number): Mutation {
  const int = (n: number) => Math.floor(random() * n);
  const byte = () => int(256);
  const kind = int(9);
  switch (kind) {
    case 0: {
      const file = Buffer.from(der);
      for (let flips = 1 + int(3); flips > 0; flips--) {
        const at = int(file.length);
        file[at] = (file[at] ?? 0) ^ (1 << int(8));
      }
      return { kind: 'DER bit flips', file };
    }
    case 1:
      return { kind: 'DER truncation', file: der.subarray(0, int(der.length)) };
    case 2: {
      const at = int(der.length + 1);
      const inserted = Buffer.from(Array.from({ length: 1 + int(8) }, byte));
      return { kind: 'DER byte insertion', file: Buffer.concat([der.subarray(0, at), inserted, der.subarray(at)]) };
    }
    case 3: {
      // Damage a length octet that openssl asn1parse located (tags here are single-octet).
      const file = Buffer.from(der);
      const at = (headerOffsets[int(headerOffsets.length)] ?? 0) + 1;
      const choices = [
        0x00,
        0x7f,
        0x80,
        0x81,
        0x82,
        0x84,
        0x85,
        0xff,
        byte(),
        (file[at] ?? 0) + 1,
        (file[at] ?? 0) - 1,
      ];
      file[at] = (choices[int(choices.length)] ?? 0) & 0xff;
      return { kind: 'DER length octet change', file };
    }
    case 4: {
      const file = Buffer.from(der);
      const at = headerOffsets[int(headerOffsets.length)] ?? 0;
      file[at] = byte();
      return { kind: 'DER tag change', file };
    }
    case 5: {
      const from = int(der.length);
      const to = Math.min(der.length, from + 1 + int(64));
      return { kind: 'DER range deletion', file: Buffer.concat([der.subarray(0, from), der.subarray(to)]) };
    }
    case 6: {
      const text = smime.toString('latin1');
      const headerEnd = text.indexOf('\n\n');
      const at = int(headerEnd + 2);
      const replacement = String.fromCharCode(random() < 0.5 ? 32 + int(95) : byte());
      return {
        kind: 'S/MIME header damage',
        file: Buffer.from(text.slice(0, at) + replacement + text.slice(at + 1), 'latin1'),
      };
    }
    case 7: {
      const text = smime.toString('latin1');
      const lines = text.split('\n');
      const at = int(lines.length);
      const variants = [
        () => lines.filter((_, i) => i !== at), // drop a line (a header, the blank line, base64)
        () => lines.map((l, i) => (i === at ? `${l}!` : l)), // junk appended to a line
        () => lines.map((l) => l.replace('base64', ['quoted-printable', 'binary', '7bit', ''][int(4)] ?? '')),
        () => [...lines.slice(0, at), 'X-Inserted: yes', ...lines.slice(at)],
      ];
      const variant = variants[int(variants.length)] ?? variants[0];
      return { kind: 'S/MIME line damage', file: Buffer.from((variant?.() ?? lines).join('\n'), 'latin1') };
    }
    default: {
      const text = smime.toString('latin1');
      const bodyStart = text.indexOf('\n\n') + 2;
      const at = bodyStart + int(text.length - bodyStart);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
      const replacement = alphabet[int(alphabet.length)] ?? 'A';
      return {
        kind: 'base64 body damage',
        file: Buffer.from(text.slice(0, at) + replacement + text.slice(at + 1), 'latin1'),
      };
    }
  }
}

test(
  `${MUTATIONS} damaged variants of an OpenSSL-made token each decrypt or end in an AppleError, none hangs`,
  { timeout: 120_000 },
  (t) => {
    const candidates = [
      { id: 'fuzz', privateKeyPem: recipient.privateKeyPem, certificatePem: recipient.certificatePem },
    ];
    const random = prng(0x0c4a7d);
    const outcomes = new Map<string, number>();
    let slowest = { ms: 0, index: -1, kind: '' };
    const started = performance.now();

    for (let index = 0; index < MUTATIONS; index++) {
      const { kind, file } = mutate(random);
      const callStarted = performance.now();
      let outcome: string;
      try {
        decryptServerToken(file, candidates, NOW);
        outcome = 'decrypted';
      } catch (error) {
        if (!(error instanceof AppleError)) {
          assert.fail(
            `mutation #${index} (${kind}) threw a non-AppleError: ${error instanceof Error ? error.stack : String(error)}`,
          );
        }
        outcome = error.code;
      }
      const ms = performance.now() - callStarted;
      if (ms > slowest.ms) slowest = { ms, index, kind };
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }

    const total = performance.now() - started;
    t.diagnostic(
      `total ${total.toFixed(0)} ms for ${MUTATIONS} mutations; slowest #${slowest.index} (${slowest.kind}) ${slowest.ms.toFixed(1)} ms`,
    );
    t.diagnostic(`outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    // Generous on purpose: a single call is ~1 ms; this only catches pathological slowness.
    assert.ok(slowest.ms < 2000, `mutation #${slowest.index} took ${slowest.ms} ms`);
    // Sanity: the fuzzer reaches every stage, not just the container check.
    for (const code of ['decrypted', 'TOKEN_NOT_A_TOKEN_FILE', 'TOKEN_CORRUPT']) {
      assert.ok((outcomes.get(code) ?? 0) > 0, `no mutation ended in ${code}`);
    }
  },
);
