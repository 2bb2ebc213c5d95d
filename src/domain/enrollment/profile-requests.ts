/**
 * The enrollment URL's rules (apple-protocols.md §3): who gets a profile, what it holds, and
 * what is recorded. A device posts its signed MachineInfo; it gets a signed profile with a
 * single-use SCEP challenge bound to this attempt, Apple's "update first" answer, or a
 * refusal with a code that says exactly why.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CmsError, verifySignedData } from '../../mdm/pki/cms-verify.js';
import { signData } from '../../mdm/pki/cms-sign.js';
import { certificateSha256 } from '../../mdm/pki/identity.js';
import { MdmProtocolError } from '../../mdm/errors.js';
import { PlistError } from '../../mdm/plist.js';
import { buildEnrollmentProfile } from '../../mdm/enrollment-profile.js';
import { compareVersions, parseMachineInfo, platformOf, type MachineInfo } from '../../mdm/machine-info.js';
import type { Repositories, Transactor } from '../../store/repositories/index.js';
import { isoNow, type Clock } from '../clock.js';
import type { MachineInfoTrust } from './machine-info-trust.js';
import type { SigningIdentities } from './signing-identities.js';

export type ProfileRefusalCode =
  | 'ENROLLMENT_KEY_UNKNOWN'
  | 'ENROLLMENT_NOT_CONFIGURED'
  | 'MACHINE_INFO_MISSING'
  | 'MACHINE_INFO_MALFORMED'
  | 'MACHINE_INFO_SIGNATURE_INVALID'
  | 'MACHINE_INFO_UNTRUSTED_SIGNER'
  | 'MACHINE_INFO_INCOMPLETE'
  | 'DEVICE_NOT_ON_TOKEN'
  | 'DEVICE_REMOVED';

export type ProfileAnswer =
  | { readonly kind: 'profile'; readonly signedProfile: Buffer; readonly serialNumber: string }
  | { readonly kind: 'software_update_required'; readonly osVersion: string; readonly serialNumber: string }
  | {
      readonly kind: 'refused';
      readonly status: 400 | 403 | 404 | 503;
      readonly code: ProfileRefusalCode;
      /** For logs and the device's timeline; never holds a secret. */
      readonly detail: string;
    };

export interface EnrollmentUrls {
  readonly scep: string;
  readonly checkIn: string;
  readonly server: string;
}

export class ProfileRequests {
  constructor(
    private readonly deps: {
      readonly repositories: Repositories;
      readonly transactor: Transactor;
      readonly identities: SigningIdentities;
      readonly trust: MachineInfoTrust;
      readonly clock: Clock;
      readonly urls: EnrollmentUrls;
      readonly apnsTopic: string | null;
      readonly challengeTtlMs: number;
      /** Reverse-DNS base of payload identifiers, from the public host. */
      readonly identifierBase: string;
    },
  ) {}

  async answer(enrollmentKey: string, signedMachineInfo: Buffer | null): Promise<ProfileAnswer> {
    const { repositories, clock } = this.deps;
    const profile = await repositories.enrollmentProfiles.findByEnrollmentKey(enrollmentKey);
    if (profile === undefined) {
      return refuse(404, 'ENROLLMENT_KEY_UNKNOWN', 'no ABM token has this enrollment URL');
    }
    if (this.deps.apnsTopic === null) {
      return refuse(
        503,
        'ENROLLMENT_NOT_CONFIGURED',
        'ORCHARD_APNS_TOPIC is not set, so no profile can name a push topic',
      );
    }
    if (signedMachineInfo === null || signedMachineInfo.length === 0) {
      return refuse(
        400,
        'MACHINE_INFO_MISSING',
        'the request carried no MachineInfo (POST body or x-apple-aspen-deviceinfo)',
      );
    }
    const now = clock.now();

    let info: MachineInfo;
    let signerSha256: string;
    try {
      const verified = await verifySignedData(signedMachineInfo);
      const trusted = await this.deps.trust.check(
        verified.signer,
        verified.certificates.filter((c) => c !== verified.signer),
        now,
      );
      if (!trusted.ok) return refuse(403, 'MACHINE_INFO_UNTRUSTED_SIGNER', trusted.reason);
      info = parseMachineInfo(verified.content);
      signerSha256 = certificateSha256(verified.signer.raw);
    } catch (error) {
      if (error instanceof CmsError) {
        return error.code === 'CMS_SIGNATURE_INVALID'
          ? refuse(403, 'MACHINE_INFO_SIGNATURE_INVALID', error.message)
          : refuse(400, 'MACHINE_INFO_MALFORMED', error.message);
      }
      if (error instanceof PlistError) return refuse(400, 'MACHINE_INFO_MALFORMED', error.message);
      if (error instanceof MdmProtocolError) return refuse(400, 'MACHINE_INFO_INCOMPLETE', error.message);
      throw error;
    }

    const device = await repositories.deviceEnrollmentState.findCurrent(info.serial);
    if (device === undefined || device.tokenId !== profile.tokenId) {
      if (device !== undefined) {
        await this.timeline(info.serial, 'profile_refused', `asked at the enrollment URL of another ABM token`);
      }
      return refuse(403, 'DEVICE_NOT_ON_TOKEN', `serial ${info.serial} is not a device synced for this ABM token`);
    }
    if (device.removed || device.released) {
      await this.timeline(info.serial, 'profile_refused', 'the device is no longer assigned to this MDM server in ABM');
      return refuse(403, 'DEVICE_REMOVED', `serial ${info.serial} was removed from this ABM token's MDM server`);
    }

    const minimum =
      platformOf(info.product) === 'macOS' ? profile.settings.minimumMacosVersion : profile.settings.minimumIosVersion;
    if (
      minimum !== null &&
      info.canRequestSoftwareUpdate &&
      (info.osVersion === null || compareVersions(info.osVersion, minimum) < 0)
    ) {
      await this.timeline(
        info.serial,
        'software_update_required',
        `OS ${info.osVersion ?? 'unknown'} is older than the required ${minimum}: the device was asked to update first`,
      );
      return { kind: 'software_update_required', osVersion: minimum, serialNumber: info.serial };
    }

    const token = await repositories.abmTokens.findById(profile.tokenId);
    const challenge = randomBytes(32).toString('base64url');
    const attemptId = randomUUID();
    const stamp = isoNow(clock);
    await this.deps.transactor.transaction(async (tx) => {
      await tx.enrollmentAttempts.insert(
        {
          id: attemptId,
          tokenId: profile.tokenId,
          serialNumber: info.serial,
          udid: info.udid,
          product: info.product,
          buildVersion: info.version,
          osVersion: info.osVersion,
          imei: info.imei,
          meid: info.meid,
          language: info.language,
          signerSha256,
          challengeHash: challengeHash(challenge),
          challengeExpiresAt: new Date(now.getTime() + this.deps.challengeTtlMs).toISOString(),
        },
        stamp,
      );
      await tx.deviceEnrollmentState.setMdmState(info.serial, 'enrolling', {}, stamp);
      await tx.deviceEnrollmentState.recordFacts(
        info.serial,
        { productName: info.product, buildVersion: info.version, osVersion: info.osVersion },
        stamp,
      );
      await tx.enrollmentEvents.add(
        info.serial,
        { kind: 'profile_served', detail: `${info.product}, ${osLabel(info)}, UDID ${info.udid}` },
        stamp,
      );
    });

    const owner = token === undefined ? 'Orchard' : `${token.customerName} – ${token.siteName}`;
    const profileXml = buildEnrollmentProfile({
      identifierBase: `${this.deps.identifierBase}.enrollment`,
      displayName: `${owner} device management`,
      organization: token?.customerName ?? 'Orchard',
      description: `Enrolls this device in Orchard, managed for ${owner}.`,
      scep: {
        url: this.deps.urls.scep,
        challenge,
        subject: [
          ['O', 'Orchard'],
          ['CN', `${info.serial}`],
        ],
        caName: 'Orchard Device CA',
      },
      mdm: { serverUrl: this.deps.urls.server, checkInUrl: this.deps.urls.checkIn, topic: this.deps.apnsTopic },
    });
    const signer = await this.deps.identities.profileSigner();
    const signedProfile = await signData({
      content: Buffer.from(profileXml, 'utf8'),
      signer,
      detached: false,
      now,
      extraCertificatesPem: signer.chainPem,
    });
    return { kind: 'profile', signedProfile, serialNumber: info.serial };
  }

  private async timeline(
    serialNumber: string,
    kind: 'profile_refused' | 'software_update_required',
    detail: string,
  ): Promise<void> {
    await this.deps.repositories.enrollmentEvents.add(serialNumber, { kind, detail }, isoNow(this.deps.clock));
  }
}

/** The challenge is stored only as its hash: a database reader cannot enroll a device with it. */
export function challengeHash(challenge: string): string {
  return createHash('sha256').update(challenge, 'utf8').digest('hex');
}

function osLabel(info: MachineInfo): string {
  return info.osVersion === null ? `build ${info.version}` : `OS ${info.osVersion} (${info.version})`;
}

function refuse(status: 400 | 403 | 404 | 503, code: ProfileRefusalCode, detail: string): ProfileAnswer {
  return { kind: 'refused', status, code, detail };
}
