/**
 * Does a signer chain to a configured trust anchor? Used for MachineInfo (the device identity
 * must chain to Apple's device CA roots in production, the sandbox's device CA in sandbox
 * mode) and for check-in signatures (Orchard's device CA). A path is built from the signer
 * through the certificates that came with the message to an anchor (RFC 5280 §6, reduced to
 * what a device chain needs): every link's signature is checked with node:crypto
 * (`X509Certificate.verify`), its names and key identifiers with `checkIssued` (OpenSSL's
 * X509_check_issued, which also refuses an issuer whose keyUsage lacks keyCertSign), every
 * certificate must be valid at `now`, and every issuer, anchors included, must say CA:true.
 * No revocation checking: Apple publishes none for device identities, and Orchard's own CA
 * binds each identity to an enrollment instead.
 *
 * A signer that is itself an anchor is accepted (a pinned certificate). Reasons are written
 * for logs and for the person reading them: which certificate, which check.
 *
 * `ignoreValidity` exists for Apple's device identities and nothing else: the MachineInfo
 * signer chains through "Apple iPhone Device CA" (RSA-1024, SHA-1, expired 2014-04-16) and
 * "Apple iPhone Certification Authority", and Apple's "Creating a Profile Server for
 * Over-The-Air Enrollment and Configuration" says that when device certificates signed by
 * "Apple iPhone Device CA" are evaluated, their validity dates should be ignored.
 */
import { X509Certificate } from 'node:crypto';

export class TrustAnchorError extends Error {
  readonly code = 'TRUST_ANCHORS_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'TrustAnchorError';
  }
}

export class TrustAnchors {
  private readonly byFingerprint: ReadonlyMap<string, X509Certificate>;

  private constructor(readonly certificates: readonly X509Certificate[]) {
    this.byFingerprint = new Map(certificates.map((c) => [c.fingerprint256, c]));
  }

  /**
   * Every `CERTIFICATE` block of a PEM bundle. Text between blocks (the comments CA bundles
   * carry) is ignored; a bundle with no certificate, another kind of PEM block (a key), or a
   * block that does not parse is refused.
   */
  static fromPem(bundle: string): TrustAnchors {
    const blocks = [...bundle.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
    if (blocks.length === 0) throw new TrustAnchorError('the trust anchor bundle holds no PEM certificate');
    const certificates = blocks.map((block, i) => {
      if (block[1] !== 'CERTIFICATE') {
        throw new TrustAnchorError(
          `PEM block ${i + 1} of the trust anchor bundle is a ${block[1] ?? 'non-certificate'}, not a CERTIFICATE`,
        );
      }
      try {
        return new X509Certificate(block[0]);
      } catch {
        throw new TrustAnchorError(`certificate ${i + 1} of the trust anchor bundle cannot be read`);
      }
    });
    return new TrustAnchors(certificates);
  }

  static fromCertificates(certificates: readonly X509Certificate[]): TrustAnchors {
    if (certificates.length === 0) throw new TrustAnchorError('no trust anchors given');
    return new TrustAnchors([...certificates]);
  }

  has(certificate: X509Certificate): boolean {
    return this.byFingerprint.has(certificate.fingerprint256);
  }
}

export type ChainResult =
  { readonly ok: true; readonly chain: readonly X509Certificate[] } | { readonly ok: false; readonly reason: string };

/** Longest path accepted, signer and anchor included (Apple's device chains have three). */
export const MAX_CHAIN_LENGTH = 6;
// Bounds the search when a hostile message carries many certificates with the same name.
const MAX_LINK_CHECKS = 64;

/** `chain` runs from the signer to the anchor. */
export function verifyChain(
  signer: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: TrustAnchors,
  now: Date,
  options: { readonly ignoreValidity?: boolean } = {},
): ChainResult {
  const validityProblem = options.ignoreValidity === true ? () => null : checkValidity;
  const expired = validityProblem(signer, now);
  if (expired !== null) return { ok: false, reason: expired };
  if (anchors.has(signer)) return { ok: true, chain: [signer] };

  let checks = 0;
  // The first reason found at the deepest level is the most specific one to report.
  const best = { depth: -1, reason: 'no path to a trust anchor' };
  const fail = (depth: number, reason: string): null => {
    if (depth > best.depth) Object.assign(best, { depth, reason });
    return null;
  };

  const extend = (path: readonly X509Certificate[]): X509Certificate[] | null => {
    const current = path[path.length - 1] as X509Certificate;
    const depth = path.length;
    const candidates = [
      ...anchors.certificates.filter((c) => namesIssuer(current, c)).map((c) => ({ cert: c, anchor: true })),
      ...intermediates
        .filter(
          (c) => namesIssuer(current, c) && !anchors.has(c) && !path.some((p) => p.fingerprint256 === c.fingerprint256),
        )
        .map((c) => ({ cert: c, anchor: false })),
    ];
    if (candidates.length === 0) {
      return fail(
        depth,
        current.issuer === current.subject
          ? `${describe(current)} is self-signed and not a trust anchor`
          : `${describe(current)}'s issuer ${oneLine(current.issuer)} is not a trust anchor, and no certificate sent with it was issued under that name`,
      );
    }
    for (const { cert: issuer, anchor } of candidates) {
      if (++checks > MAX_LINK_CHECKS) return fail(MAX_CHAIN_LENGTH + 1, 'too many candidate issuers to check');
      if (!current.checkIssued(issuer)) {
        fail(
          depth,
          `${describe(issuer)} has the name of ${describe(current)}'s issuer but not its key identifier or key usage`,
        );
        continue;
      }
      if (!current.verify(issuer.publicKey)) {
        fail(depth, `the signature on ${describe(current)} does not verify with the key of ${describe(issuer)}`);
        continue;
      }
      if (issuer.ca !== true) {
        fail(
          depth,
          `${describe(issuer)}, which issued ${describe(current)}, is not a CA (basicConstraints CA:true missing)`,
        );
        continue;
      }
      const problem = validityProblem(issuer, now);
      if (problem !== null) {
        fail(depth, problem);
        continue;
      }
      if (anchor) return [...path, issuer];
      if (depth + 1 >= MAX_CHAIN_LENGTH) {
        fail(depth, `no trust anchor within ${MAX_CHAIN_LENGTH} certificates of the signer`);
        continue;
      }
      const found = extend([...path, issuer]);
      if (found !== null) return found;
    }
    return null;
  };

  const chain = extend([signer]);
  if (chain !== null) return { ok: true, chain };
  return { ok: false, reason: best.reason };
}

/** A candidate issuer: the same name (as OpenSSL prints it) or, failing that, what OpenSSL matches. */
function namesIssuer(subject: X509Certificate, candidate: X509Certificate): boolean {
  return candidate.subject === subject.issuer || subject.checkIssued(candidate);
}

function checkValidity(cert: X509Certificate, now: Date): string | null {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const t = now.getTime();
  if (Number.isNaN(from) || Number.isNaN(to)) return `${describe(cert)} has validity dates that cannot be read`;
  if (!(t >= from)) return `${describe(cert)} is not valid before ${new Date(from).toISOString()}`;
  if (!(t <= to)) return `${describe(cert)} expired on ${new Date(to).toISOString()}`;
  return null;
}

function describe(cert: X509Certificate): string {
  return oneLine(cert.subject);
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}
