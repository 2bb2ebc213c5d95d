// verifyChain over certificate chains made by OpenSSL alone (root → intermediate → leaf and
// the ways such chains go wrong), plus Orchard's own CA for the check-in case.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createCertificateAuthority, createIdentity } from '../../../src/mdm/pki/identity.js';
import { MAX_CHAIN_LENGTH, TrustAnchorError, TrustAnchors, verifyChain } from '../../../src/mdm/pki/trust.js';
import { type OpensslCertificate, type OpensslDir, opensslCertificate, opensslDir } from './support.js';

const DAY_MS = 86_400_000;

let dir: OpensslDir;
let root: OpensslCertificate;
let intermediate: OpensslCertificate;
let leaf: OpensslCertificate;
let anchors: TrustAnchors;
const x509 = (c: OpensslCertificate) => new X509Certificate(c.certificatePem);
const now = () => new Date();

before(async () => {
  dir = await opensslDir();
  root = await opensslCertificate(dir, {
    name: 'root',
    subject: '/O=Test Devices/CN=Test Device Root',
    ca: true,
    keyType: 'ec-p256',
  });
  intermediate = await opensslCertificate(dir, {
    name: 'intermediate',
    subject: '/O=Test Devices/CN=Test Device CA',
    ca: true,
    issuer: root,
    keyType: 'ec-p256',
  });
  leaf = await opensslCertificate(dir, {
    name: 'leaf',
    subject: '/CN=00008030-001A2D3E0C12802E',
    ca: false,
    issuer: intermediate,
  });
  anchors = TrustAnchors.fromPem(root.certificatePem);
});
after(() => dir.remove());

function refused(result: ReturnType<typeof verifyChain>, reason: RegExp): void {
  assert.equal(result.ok, false, 'expected the chain to be refused');
  if (!result.ok) assert.match(result.reason, reason);
}

describe('accepted', () => {
  test('root → intermediate → leaf, with the intermediate among unrelated certificates, gives the chain to the root', async () => {
    const unrelated = await opensslCertificate(dir, {
      name: 'unrelated',
      subject: '/CN=Unrelated',
      ca: false,
      keyType: 'ec-p256',
    });
    const result = verifyChain(x509(leaf), [x509(unrelated), x509(intermediate)], anchors, now());
    assert.equal(result.ok, true);
    if (result.ok) {
      assert.deepEqual(
        result.chain.map((c) => c.subject),
        ['CN=00008030-001A2D3E0C12802E', 'O=Test Devices\nCN=Test Device CA', 'O=Test Devices\nCN=Test Device Root'],
      );
    }
  });

  test('a signer that is itself a trust anchor', () => {
    const pinned = TrustAnchors.fromPem(leaf.certificatePem);
    const result = verifyChain(x509(leaf), [], pinned, now());
    assert.deepEqual(result.ok && result.chain.map((c) => c.fingerprint256), [x509(leaf).fingerprint256]);
  });

  test('an intermediate that is configured as an anchor ends the chain there', () => {
    const result = verifyChain(x509(leaf), [], TrustAnchors.fromPem(intermediate.certificatePem), now());
    assert.equal(result.ok && result.chain.length, 2);
  });

  test('an identity from Orchard’s own CA chains to that CA', async () => {
    const at = now();
    const ca = await createCertificateAuthority({
      subject: [['CN', 'Orchard Device CA']],
      now: at,
      validityDays: 3650,
    });
    const device = await createIdentity({
      subject: [['CN', 'device']],
      issuer: ca,
      now: at,
      validityDays: 365,
      profile: 'client-identity',
      keyType: 'ec-p256',
    });
    const result = verifyChain(
      new X509Certificate(device.certificatePem),
      [],
      TrustAnchors.fromPem(ca.certificatePem),
      at,
    );
    assert.equal(result.ok, true);
  });
});

describe('refused, with a reason', () => {
  test('a leaf from another root names its issuer, which is not a trust anchor', async () => {
    const otherRoot = await opensslCertificate(dir, {
      name: 'other-root',
      subject: '/CN=Other Root',
      ca: true,
      keyType: 'ec-p256',
    });
    const otherLeaf = await opensslCertificate(dir, {
      name: 'other-leaf',
      subject: '/CN=Other Device',
      ca: false,
      issuer: otherRoot,
      keyType: 'ec-p256',
    });
    refused(
      verifyChain(x509(otherLeaf), [x509(intermediate)], anchors, now()),
      /CN=Other Device's issuer CN=Other Root is not a trust anchor/,
    );
  });

  test('a leaf whose intermediate was not sent names the missing issuer', () => {
    refused(
      verifyChain(x509(leaf), [], anchors, now()),
      /issuer O=Test Devices, CN=Test Device CA is not a trust anchor/,
    );
  });

  test('an expired leaf, and a leaf not yet valid', async () => {
    const shortLived = await opensslCertificate(dir, {
      name: 'short',
      subject: '/CN=Short lived',
      ca: false,
      issuer: intermediate,
      days: 1,
      keyType: 'ec-p256',
    });
    const inThreeDays = new Date(Date.now() + 3 * DAY_MS);
    refused(verifyChain(x509(shortLived), [x509(intermediate)], anchors, inThreeDays), /CN=Short lived expired on/);
    const yesterday = new Date(Date.now() - DAY_MS);
    refused(verifyChain(x509(leaf), [x509(intermediate)], anchors, yesterday), /is not valid before/);
  });

  test('an intermediate without CA:true, even with keyCertSign, or with no basicConstraints at all', async () => {
    const notCa = await opensslCertificate(dir, {
      name: 'not-ca',
      subject: '/CN=Not A CA',
      ca: false,
      keyUsage: 'critical,digitalSignature,keyCertSign',
      issuer: root,
      keyType: 'ec-p256',
    });
    const under = await opensslCertificate(dir, {
      name: 'under-not-ca',
      subject: '/CN=Under not a CA',
      ca: false,
      issuer: notCa,
      keyType: 'ec-p256',
    });
    refused(
      verifyChain(x509(under), [x509(notCa)], anchors, now()),
      /CN=Not A CA, which issued CN=Under not a CA, is not a CA/,
    );

    const legacy = await opensslCertificate(dir, {
      name: 'legacy',
      subject: '/CN=No Constraints',
      ca: false,
      omitBasicConstraints: true,
      keyUsage: 'critical,keyCertSign',
      issuer: root,
      keyType: 'ec-p256',
    });
    const underLegacy = await opensslCertificate(dir, {
      name: 'under-legacy',
      subject: '/CN=Under legacy',
      ca: false,
      issuer: legacy,
      keyType: 'ec-p256',
    });
    refused(verifyChain(x509(underLegacy), [x509(legacy)], anchors, now()), /is not a CA/);
  });

  test('a self-signed leaf', async () => {
    const selfSigned = await opensslCertificate(dir, {
      name: 'self',
      subject: '/CN=Self Signed Device',
      ca: false,
      keyType: 'ec-p256',
    });
    refused(
      verifyChain(x509(selfSigned), [x509(intermediate)], anchors, now()),
      /CN=Self Signed Device is self-signed and not a trust anchor/,
    );
  });

  test('an impostor intermediate with the right name but another key', async () => {
    const impostorRoot = await opensslCertificate(dir, {
      name: 'impostor-root',
      subject: '/O=Test Devices/CN=Test Device Root',
      ca: true,
      keyType: 'ec-p256',
    });
    const impostor = await opensslCertificate(dir, {
      name: 'impostor',
      subject: '/O=Test Devices/CN=Test Device CA',
      ca: true,
      issuer: impostorRoot,
      keyType: 'ec-p256',
    });
    const victim = await opensslCertificate(dir, {
      name: 'victim',
      subject: '/CN=Forged Device',
      ca: false,
      issuer: impostor,
      keyType: 'ec-p256',
    });
    const result = verifyChain(x509(victim), [x509(impostor)], anchors, now());
    refused(result, /Test Device Root has the name of .*issuer but not its key identifier|does not verify/);
  });

  test(`a chain longer than ${MAX_CHAIN_LENGTH} certificates`, async () => {
    let issuer = root;
    const chain: OpensslCertificate[] = [];
    for (let i = 0; i < MAX_CHAIN_LENGTH - 1; i++) {
      issuer = await opensslCertificate(dir, {
        name: `deep-${i}`,
        subject: `/CN=Deep CA ${i}`,
        ca: true,
        issuer,
        keyType: 'ec-p256',
      });
      chain.push(issuer);
    }
    const deepLeaf = await opensslCertificate(dir, {
      name: 'deep-leaf',
      subject: '/CN=Deep leaf',
      ca: false,
      issuer,
      keyType: 'ec-p256',
    });
    refused(
      verifyChain(x509(deepLeaf), chain.map(x509), anchors, now()),
      new RegExp(`within ${MAX_CHAIN_LENGTH} certificates`),
    );
    // One intermediate fewer is within the bound.
    const shallowLeaf = await opensslCertificate(dir, {
      name: 'shallow-leaf',
      subject: '/CN=Shallow leaf',
      ca: false,
      issuer: chain[MAX_CHAIN_LENGTH - 3] as OpensslCertificate,
      keyType: 'ec-p256',
    });
    assert.equal(verifyChain(x509(shallowLeaf), chain.map(x509), anchors, now()).ok, true);
  });

  test('an expired anchor', async () => {
    const shortRoot = await opensslCertificate(dir, {
      name: 'short-root',
      subject: '/CN=Short Root',
      ca: true,
      days: 1,
      keyType: 'ec-p256',
    });
    const child = await opensslCertificate(dir, {
      name: 'short-child',
      subject: '/CN=Child',
      ca: false,
      issuer: shortRoot,
      days: 1,
      keyType: 'ec-p256',
    });
    // The child is still valid on its own terms half a day from now; push only the root past its end.
    const later = new Date(Date.parse(x509(shortRoot).validTo) + 1000);
    const result = verifyChain(x509(child), [], TrustAnchors.fromPem(shortRoot.certificatePem), later);
    assert.equal(result.ok, false);
  });
});

/** A PEM block with lines cut from its middle, so its DER is short of what it claims. */
function truncated(pem: string): string {
  const lines = pem.trim().split('\n');
  return [...lines.slice(0, 3), ...lines.slice(-2)].join('\n');
}

describe('TrustAnchors.fromPem', () => {
  test('reads every certificate of a bundle, ignoring comments between blocks', () => {
    const bundle = `# Test Device Root\n${root.certificatePem}\n# Test Device CA\n${intermediate.certificatePem}`;
    const read = TrustAnchors.fromPem(bundle);
    assert.deepEqual(
      read.certificates.map((c) => c.fingerprint256),
      [x509(root).fingerprint256, x509(intermediate).fingerprint256],
    );
  });

  test('refuses an empty bundle, text without certificates, a private key and a damaged certificate', () => {
    for (const bundle of ['', 'not a certificate', root.privateKeyPem, truncated(root.certificatePem)]) {
      assert.throws(
        () => TrustAnchors.fromPem(bundle),
        (error: unknown) => error instanceof TrustAnchorError && error.code === 'TRUST_ANCHORS_INVALID',
      );
    }
  });
});

describe("Apple's device chain shape", () => {
  test('an RSA-1024/SHA-1 chain whose CAs have expired is refused by default and accepted with ignoreValidity', async () => {
    // The shape of "Apple iPhone Certification Authority" → "Apple iPhone Device CA" → device:
    // SHA-1 signatures, a 1024-bit device CA, validity long past.
    const oldRoot = await opensslCertificate(dir, {
      name: 'old-root',
      subject: '/O=Old/CN=Old Certification Authority',
      ca: true,
      days: 1,
      md: 'sha1',
    });
    const oldCa = await opensslCertificate(dir, {
      name: 'old-device-ca',
      subject: '/O=Old/CN=Old Device CA',
      ca: true,
      issuer: oldRoot,
      days: 1,
      keyType: 'rsa-1024',
      md: 'sha1',
    });
    const device = await opensslCertificate(dir, {
      name: 'old-device',
      subject: '/CN=old device',
      ca: false,
      issuer: oldCa,
      days: 1,
      keyType: 'rsa-1024',
      md: 'sha1',
    });
    const later = new Date(Date.now() + 30 * DAY_MS);
    const anchorsOld = TrustAnchors.fromPem(oldRoot.certificatePem);
    refused(verifyChain(x509(device), [x509(oldCa)], anchorsOld, later), /expired on/);
    const accepted = verifyChain(x509(device), [x509(oldCa)], anchorsOld, later, { ignoreValidity: true });
    assert.equal(accepted.ok && accepted.chain.length, 3);
    // The device CA itself as the configured anchor, as Apple's profile-service guide suggests.
    const viaDeviceCa = verifyChain(x509(device), [], TrustAnchors.fromPem(oldCa.certificatePem), later, {
      ignoreValidity: true,
    });
    assert.equal(viaDeviceCa.ok && viaDeviceCa.chain.length, 2);
    // Ignoring dates does not mean ignoring signatures.
    refused(
      verifyChain(x509(device), [], TrustAnchors.fromPem(oldRoot.certificatePem), later, { ignoreValidity: true }),
      /not a trust anchor/,
    );
  });
});
