/**
 * The enrollment profile a device receives from the enrollment URL: a configuration profile
 * holding a SCEP payload (the device makes its key and asks Orchard's CA for its identity)
 * and the `com.apple.mdm` payload that names that identity, the push topic and Orchard's
 * URLs (apple/device-management mdm/profiles/com.apple.mdm.yaml and
 * com.apple.security.scep.yaml; apple-protocols.md §3.1). Signing is the caller's job.
 */
import { randomUUID } from 'node:crypto';
import { buildPlist, type PlistValue } from './plist.js';

/** Every right (the bitmask's 13 bits); Apple requires at least what the MDM uses. */
export const ALL_ACCESS_RIGHTS = 8191;
export const SERVER_CAPABILITIES = ['com.apple.mdm.per-user-connections', 'com.apple.mdm.bootstraptoken'] as const;

export interface EnrollmentProfileRequest {
  /** Reverse-DNS base for payload identifiers, e.g. "com.example.orchard". */
  readonly identifierBase: string;
  readonly displayName: string;
  readonly organization: string;
  readonly description: string;
  readonly scep: {
    readonly url: string;
    readonly challenge: string;
    /** RDN sequence, e.g. [['CN', 'Orchard device C02X…'], ['O', 'Acme']]. */
    readonly subject: readonly (readonly [string, string])[];
    readonly caName: string;
  };
  readonly mdm: {
    readonly serverUrl: string;
    readonly checkInUrl: string;
    readonly topic: string;
  };
  /** For tests that pin identifiers; fresh UUIDs otherwise. */
  readonly uuid?: () => string;
}

export function buildEnrollmentProfile(request: EnrollmentProfileRequest): string {
  const uuid = request.uuid ?? (() => randomUUID().toUpperCase());
  const scepUuid = uuid();
  const scep: Record<string, PlistValue> = {
    PayloadType: 'com.apple.security.scep',
    PayloadVersion: 1,
    PayloadIdentifier: `${request.identifierBase}.scep`,
    PayloadUUID: scepUuid,
    PayloadDisplayName: 'Device identity',
    PayloadContent: {
      URL: request.scep.url,
      Name: request.scep.caName,
      Challenge: request.scep.challenge,
      Keysize: 2048,
      'Key Type': 'RSA',
      // 1 signing + 4 encryption: the identity signs check-ins and could decrypt payloads.
      'Key Usage': 5,
      // One RDN per attribute, each a set of one [type, value] pair, as Apple's schema has it.
      Subject: request.scep.subject.map(([type, value]) => [[type, value]]),
      Retries: 3,
      RetryDelay: 10,
    },
  };
  const mdm: Record<string, PlistValue> = {
    PayloadType: 'com.apple.mdm',
    PayloadVersion: 1,
    PayloadIdentifier: `${request.identifierBase}.mdm`,
    PayloadUUID: uuid(),
    PayloadDisplayName: 'Device management',
    IdentityCertificateUUID: scepUuid,
    Topic: request.mdm.topic,
    ServerURL: request.mdm.serverUrl,
    CheckInURL: request.mdm.checkInUrl,
    SignMessage: true,
    CheckOutWhenRemoved: true,
    AccessRights: ALL_ACCESS_RIGHTS,
    ServerCapabilities: [...SERVER_CAPABILITIES],
  };
  return buildPlist({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: request.identifierBase,
    PayloadUUID: uuid(),
    PayloadDisplayName: request.displayName,
    PayloadOrganization: request.organization,
    PayloadDescription: request.description,
    PayloadContent: [scep, mdm],
  });
}
