// Deterministic fuzzing of verifySignedData: random bytes, truncations, bit flips, byte
// overwrites and length-octet damage of valid OpenSSL-made messages (DER and streamed BER,
// with and without signed attributes). Each case must end in a CmsError or a verified result
// that still carries the original content; nothing else may be thrown, and nothing may hang
// (a hang fails through the test timeout).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CmsError, type VerifiedSignedData, verifySignedData } from '../../../src/mdm/pki/cms-verify.js';
import { type OpensslDir, flipBit, opensslCertificate, opensslCmsSign, opensslDir } from './support.js';
import { prng } from '../../helpers/prng.js';

const CASES_PER_MESSAGE = 700;
const RANDOM_CASES = 400;
const CONTENT = Buffer.from(
  '<plist version="1.0"><dict><key>UDID</key><string>00008030-001A2D3E0C12802E</string></dict></plist>',
);

interface Sample {
  readonly label: string;
  readonly cms: Buffer;
  readonly detached: boolean;
}

let dir: OpensslDir;
const samples: Sample[] = [];

before(async () => {
  dir = await opensslDir();
  const root = await opensslCertificate(dir, { name: 'root', subject: '/CN=Fuzz Root', ca: true, keyType: 'ec-p256' });
  const rsa = await opensslCertificate(dir, { name: 'rsa', subject: '/CN=Fuzz RSA', ca: false, issuer: root });
  const ec = await opensslCertificate(dir, {
    name: 'ec',
    subject: '/CN=Fuzz EC',
    ca: false,
    issuer: root,
    keyType: 'ec-p256',
  });
  samples.push(
    {
      label: 'rsa DER',
      cms: await opensslCmsSign(dir, rsa, CONTENT, { certfile: root.certificatePath }),
      detached: false,
    },
    { label: 'ec BER -stream', cms: await opensslCmsSign(dir, ec, CONTENT, { stream: true }), detached: false },
    { label: 'rsa -noattr', cms: await opensslCmsSign(dir, rsa, CONTENT, { noattr: true }), detached: false },
    {
      label: 'ec detached',
      cms: await opensslCmsSign(dir, ec, CONTENT, { detached: true, keyid: true }),
      detached: true,
    },
  );
});
after(() => dir.remove());

type Outcome = { kind: 'verified'; result: VerifiedSignedData } | { kind: 'refused'; code: string };

async function attempt(cms: Uint8Array, detached: boolean): Promise<Outcome> {
  try {
    return { kind: 'verified', result: await verifySignedData(cms, detached ? { detachedContent: CONTENT } : {}) };
  } catch (error) {
    if (error instanceof CmsError) return { kind: 'refused', code: error.code };
    throw new Error(`not a CmsError: ${String(error)}`, { cause: error });
  }
}

function mutate(cms: Buffer, random: () => number): { kind: string; bytes: Buffer } {
  const at = Math.floor(random() * cms.length);
  switch (Math.floor(random() * 6)) {
    case 0:
      return { kind: `truncate at ${at}`, bytes: cms.subarray(0, at) };
    case 1:
      return { kind: `flip bit at ${at}`, bytes: flipBit(cms, at, Math.floor(random() * 8)) };
    case 2: {
      const copy = Buffer.from(cms);
      copy[at] = Math.floor(random() * 256);
      return { kind: `overwrite byte at ${at}`, bytes: copy };
    }
    case 3: {
      // Length octets are where BER readers break: make one long-form or indefinite.
      const copy = Buffer.from(cms);
      copy[at] = [0x80, 0x81, 0x84, 0xff, 0x00, 0x7f][Math.floor(random() * 6)] as number;
      return { kind: `length-like byte at ${at}`, bytes: copy };
    }
    case 4: {
      const length = 1 + Math.floor(random() * 32);
      return { kind: `cut ${length} at ${at}`, bytes: Buffer.concat([cms.subarray(0, at), cms.subarray(at + length)]) };
    }
    default: {
      const insert = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256)),
      );
      return {
        kind: `insert ${insert.length} at ${at}`,
        bytes: Buffer.concat([cms.subarray(0, at), insert, cms.subarray(at)]),
      };
    }
  }
}

test(`${CASES_PER_MESSAGE} damaged variants of each of four valid messages end in a CmsError or a result with the original content`, async () => {
  let verified = 0;
  let refused = 0;
  for (const [s, sample] of samples.entries()) {
    const intact = await attempt(sample.cms, sample.detached);
    assert.equal(intact.kind, 'verified', `${sample.label} must verify before it is damaged`);
    const random = prng(0x5eed + s);
    for (let i = 0; i < CASES_PER_MESSAGE; i++) {
      const { kind, bytes } = mutate(sample.cms, random);
      let outcome: Outcome;
      try {
        outcome = await attempt(bytes, sample.detached);
      } catch (error) {
        assert.fail(`${sample.label}, case ${i} (${kind}): ${String(error)}`);
      }
      if (outcome.kind === 'verified') {
        // Damage the signature does not cover (a certificate's own signature, unsigned fields) may pass;
        // the signed content never changes.
        assert.deepEqual(
          outcome.result.content,
          CONTENT,
          `${sample.label}, case ${i} (${kind}) verified other content`,
        );
        verified++;
      } else {
        refused++;
      }
    }
  }
  assert.equal(verified + refused, samples.length * CASES_PER_MESSAGE);
  assert.ok(refused > verified, `expected most damage to be refused (${refused} refused, ${verified} verified)`);
});

test(`${RANDOM_CASES} random inputs, half shaped like a SignedData, are all CMS_MALFORMED or another CmsError`, async () => {
  const random = prng(0xc0ffee);
  const prefix = Buffer.from('3080' + '06092a864886f70d010702' + 'a080', 'hex'); // ContentInfo { signedData, [0] … (BER)
  for (let i = 0; i < RANDOM_CASES; i++) {
    const body = Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
    const bytes = i % 2 === 0 ? body : Buffer.concat([prefix, body]);
    const outcome = await attempt(bytes, i % 4 === 1);
    assert.equal(outcome.kind, 'refused', `random case ${i} verified`);
  }
});

test('deep nesting and huge element counts are refused quickly, not by exhausting the stack', async () => {
  const deep = Buffer.concat([Buffer.alloc(2 * 50_000, Buffer.from([0x30, 0x80]))]);
  const started = Date.now();
  assert.equal((await attempt(deep, false)).kind, 'refused');
  const wide = Buffer.concat([
    Buffer.from([0x30, 0x83, 0x03, 0x0d, 0x40]),
    Buffer.alloc(0x030d40, Buffer.from([0x05, 0x00])),
  ]);
  assert.equal((await attempt(wide, false)).kind, 'refused');
  assert.ok(Date.now() - started < 2000);
});
