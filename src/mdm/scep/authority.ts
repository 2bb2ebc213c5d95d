/**
 * What the SCEP endpoint asks of Orchard: the CA that devices encrypt to and that signs the
 * answers, and the decision to issue. The protocol code decodes and verifies the request and
 * never issues a certificate itself; policy (which challenge is valid, single use, recording
 * the issue, whether a RenewalReq's signer may renew) lives behind `issue`.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';

/** RFC 8894 §3.2.1.4 failInfo values, by name. */
export type ScepFailInfo = 'badAlg' | 'badMessageCheck' | 'badRequest' | 'badTime' | 'badCertId';

export interface ScepCertificationRequest {
  /** The PKCS#10 CSR (RFC 2986), as received. */
  readonly der: Buffer;
  readonly challengePassword: string | null;
  /** The CSR's subject public key; the CSR's own signature has been verified with it. */
  readonly publicKey: KeyObject;
  /** The subject as found, e.g. `[['CN','…'],['O','…']]`: short names where known, dotted OIDs otherwise. */
  readonly subject: readonly (readonly [string, string])[];
}

export interface ScepIssueRequest {
  readonly messageType: 'PKCSReq' | 'RenewalReq';
  readonly transactionId: string;
  readonly csr: ScepCertificationRequest;
  /**
   * The certificate the request was signed with (the outer signature verified against it):
   * self-signed for PKCSReq, the current identity for RenewalReq. Whether that identity was
   * issued by the CA and may renew is the authority's decision.
   */
  readonly signer: X509Certificate;
}

export type ScepIssueOutcome =
  | { readonly ok: true; readonly certificateDer: Buffer }
  | { readonly ok: false; readonly failInfo: ScepFailInfo; readonly reason: string /* logged, never sent */ };

export interface ScepAuthority {
  /** The CA devices encrypt to and that signs CertReps (Orchard's device CA). PEMs; key is PKCS#8. */
  ca(): Promise<{ readonly certificatePem: string; readonly privateKeyPem: string }>;
  issue(request: ScepIssueRequest): Promise<ScepIssueOutcome>;
}
