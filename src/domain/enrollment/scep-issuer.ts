/**
 * Who gets a device identity over SCEP: a PKCSReq whose challenge was served in a profile,
 * unused and unexpired (taken atomically, so it works once across every instance), or a
 * RenewalReq signed by the identity currently bound to an enrollment. Everything else is a
 * SCEP failure (badRequest), never a certificate.
 */
import { X509Certificate } from 'node:crypto';
import {
  certificateSha256,
  issueCertificate,
  type DistinguishedName,
  type IssuedCertificate,
} from '../../mdm/pki/identity.js';
import type { ScepAuthority, ScepIssueOutcome, ScepIssueRequest } from '../../mdm/scep/authority.js';
import type { Repositories, Transactor } from '../../store/repositories/index.js';
import { isoNow, type Clock } from '../clock.js';
import { challengeHash } from './profile-requests.js';
import type { SigningIdentities } from './signing-identities.js';

/** A device identity lasts a year; the device renews it over SCEP before then. */
export const IDENTITY_VALIDITY_DAYS = 365;

export class ScepIssuer implements ScepAuthority {
  constructor(
    private readonly deps: {
      readonly repositories: Repositories;
      readonly transactor: Transactor;
      readonly identities: SigningIdentities;
      readonly clock: Clock;
      readonly log?: (fields: Record<string, unknown>, message: string) => void;
    },
  ) {}

  async ca(): Promise<{ certificatePem: string; privateKeyPem: string }> {
    return this.deps.identities.deviceCa();
  }

  async issue(request: ScepIssueRequest): Promise<ScepIssueOutcome> {
    const outcome = request.messageType === 'PKCSReq' ? await this.firstIdentity(request) : await this.renewal(request);
    if (!outcome.ok)
      this.deps.log?.({ transactionId: request.transactionId, reason: outcome.reason }, 'SCEP request refused');
    return outcome;
  }

  private async firstIdentity(request: ScepIssueRequest): Promise<ScepIssueOutcome> {
    const { repositories, clock } = this.deps;
    const challenge = request.csr.challengePassword;
    if (challenge === null || challenge === '') return fail('the request has no challenge password');
    const hash = challengeHash(challenge);
    const now = clock.now();
    const attempt = await repositories.enrollmentAttempts.consumeChallenge(hash, now.toISOString());
    if (attempt === undefined) {
      const known = await repositories.enrollmentAttempts.findByChallengeHash(hash);
      if (known === undefined) return fail('unknown challenge');
      const reason = known.challengeUsedAt !== null ? 'the challenge was already used' : 'the challenge expired';
      await repositories.enrollmentEvents.add(
        known.serialNumber,
        { kind: 'identity_refused', detail: reason },
        isoNow(clock),
      );
      return fail(reason);
    }
    const device = await repositories.deviceEnrollmentState.findCurrent(attempt.serialNumber);
    if (device === undefined || device.tokenId !== attempt.tokenId || device.removed || device.released) {
      const reason = 'the device left its ABM token after the profile was served';
      await repositories.enrollmentEvents.add(
        attempt.serialNumber,
        { kind: 'identity_refused', detail: reason },
        isoNow(clock),
      );
      return fail(reason);
    }
    const issued = await this.issueIdentity(attempt, request, now);
    const expiresAt = new X509Certificate(issued.certificateDer).validTo;
    await this.deps.transactor.transaction(async (tx) => {
      await tx.enrollmentAttempts.recordIdentity(attempt.id, {
        sha256: issued.sha256Hex,
        serial: issued.serialNumberHex,
        expiresAt: new Date(expiresAt).toISOString(),
      });
      await tx.enrollmentEvents.add(
        attempt.serialNumber,
        {
          kind: 'identity_issued',
          detail: `certificate ${issued.serialNumberHex}, valid ${IDENTITY_VALIDITY_DAYS} days`,
        },
        isoNow(clock),
      );
    });
    return { ok: true, certificateDer: issued.certificateDer };
  }

  private async issueIdentity(
    device: { serialNumber: string; udid: string },
    request: ScepIssueRequest,
    now: Date,
  ): Promise<IssuedCertificate> {
    return issueCertificate({
      issuer: await this.deps.identities.deviceCa(),
      subject: identitySubject(device),
      publicKey: request.csr.publicKey,
      now,
      validityDays: IDENTITY_VALIDITY_DAYS,
      profile: 'client-identity',
    });
  }

  private async renewal(request: ScepIssueRequest): Promise<ScepIssueOutcome> {
    const { repositories, clock } = this.deps;
    const signerSha = certificateSha256(request.signer.raw);
    const enrollment = await repositories.mdmEnrollments.findByIdentity(signerSha);
    if (enrollment === undefined || enrollment.state === 'checked_out') {
      return fail('a renewal must be signed by the identity bound to an active enrollment');
    }
    const now = clock.now();
    if (new Date(request.signer.validTo).getTime() < now.getTime()) return fail('the signing identity has expired');
    const issued = await this.issueIdentity(enrollment, request, now);
    const stamp = isoNow(clock);
    await this.deps.transactor.transaction(async (tx) => {
      await tx.mdmEnrollments.rebind(enrollment.serialNumber, signerSha, issued.sha256Hex, stamp);
      await tx.enrollmentEvents.add(
        enrollment.serialNumber,
        { kind: 'identity_issued', detail: `renewed: certificate ${issued.serialNumberHex}` },
        stamp,
      );
    });
    return { ok: true, certificateDer: issued.certificateDer };
  }
}

/** The device's MDM identity: the key from its CSR, a subject naming it (serial and UDID). */
function identitySubject(device: { serialNumber: string; udid: string }): DistinguishedName {
  return [
    ['O', 'Orchard'],
    ['OU', device.udid],
    ['CN', device.serialNumber],
  ];
}

function fail(reason: string): ScepIssueOutcome {
  return { ok: false, failInfo: 'badRequest', reason };
}
