/**
 * What a device checks in the enrollment profile before installing it: the CMS signature over
 * the profile (attached content), then the payloads it needs — one `com.apple.security.scep`
 * (URL, Challenge, Subject, Keysize 2048 RSA) and one `com.apple.mdm` whose
 * IdentityCertificateUUID names that SCEP payload (apple/device-management
 * mdm/profiles/com.apple.mdm.yaml, com.apple.security.scep.yaml; apple-protocols.md §3.1).
 * Bytes in, a typed reading or a ProfileError out.
 */
import type { X509Certificate } from 'node:crypto';
import { CmsError, verifySignedData } from '../mdm/pki/cms-verify.js';
import { PlistError, isDict, parsePlistDict, type PlistDict, type PlistValue } from '../mdm/plist.js';

export type ProfileErrorCode =
  'PROFILE_SIGNATURE_INVALID' | 'PROFILE_MALFORMED' | 'PROFILE_PAYLOAD_MISSING' | 'PROFILE_PAYLOAD_INVALID';

export class ProfileError extends Error {
  constructor(
    readonly code: ProfileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

export interface ScepPayload {
  readonly payloadUuid: string;
  readonly url: string;
  readonly challenge: string;
  /** One [type, value] per RDN, in order: `[['CN', '…'], ['O', '…']]`. */
  readonly subject: readonly (readonly [string, string])[];
  readonly keysize: number;
  readonly keyUsage: number | null;
  readonly name: string | null;
}

export interface MdmPayload {
  readonly serverUrl: string;
  readonly checkInUrl: string;
  readonly topic: string;
  readonly identityCertificateUuid: string;
  readonly signMessage: boolean;
  readonly checkOutWhenRemoved: boolean;
  readonly accessRights: number | null;
  readonly serverCapabilities: readonly string[];
}

export interface EnrollmentProfileReading {
  readonly signer: X509Certificate;
  readonly payloadIdentifier: string | null;
  readonly displayName: string | null;
  readonly organization: string | null;
  readonly scep: ScepPayload;
  readonly mdm: MdmPayload;
}

export async function readEnrollmentProfile(body: Uint8Array): Promise<EnrollmentProfileReading> {
  let content: Buffer;
  let signer: X509Certificate;
  try {
    ({ content, signer } = await verifySignedData(body));
  } catch (error) {
    if (error instanceof CmsError)
      throw new ProfileError('PROFILE_SIGNATURE_INVALID', `${error.code}: ${error.message}`);
    throw error;
  }
  let root: PlistDict;
  try {
    root = parsePlistDict(content);
  } catch (error) {
    if (error instanceof PlistError) throw new ProfileError('PROFILE_MALFORMED', error.message);
    throw error;
  }
  if (root['PayloadType'] !== 'Configuration')
    throw new ProfileError('PROFILE_MALFORMED', 'the top-level PayloadType is not "Configuration"');
  const payloads = root['PayloadContent'];
  if (!Array.isArray(payloads)) throw new ProfileError('PROFILE_MALFORMED', 'PayloadContent is not an array');
  const dicts = (payloads as readonly PlistValue[]).filter(isDict);

  const scep = readScep(only(dicts, 'com.apple.security.scep'));
  const mdm = readMdm(only(dicts, 'com.apple.mdm'));
  if (mdm.identityCertificateUuid !== scep.payloadUuid) {
    throw new ProfileError(
      'PROFILE_PAYLOAD_INVALID',
      `com.apple.mdm IdentityCertificateUUID ${mdm.identityCertificateUuid} does not name the SCEP payload (${scep.payloadUuid})`,
    );
  }
  return {
    signer,
    payloadIdentifier: stringOr(root, 'PayloadIdentifier'),
    displayName: stringOr(root, 'PayloadDisplayName'),
    organization: stringOr(root, 'PayloadOrganization'),
    scep,
    mdm,
  };
}

function only(payloads: readonly PlistDict[], type: string): PlistDict {
  const found = payloads.filter((p) => p['PayloadType'] === type);
  if (found.length === 0) throw new ProfileError('PROFILE_PAYLOAD_MISSING', `no ${type} payload`);
  if (found.length > 1) throw new ProfileError('PROFILE_PAYLOAD_INVALID', `${found.length} ${type} payloads, not one`);
  return found[0] as PlistDict;
}

function readScep(payload: PlistDict): ScepPayload {
  const type = 'com.apple.security.scep';
  const content = payload['PayloadContent'];
  if (!isDict(content)) throw invalid(type, 'PayloadContent is not a dictionary');
  const keysize = content['Keysize'];
  // Apple's schema defaults Keysize to 1024; Orchard promises 2048, and less is refused.
  if (keysize !== 2048) throw invalid(type, `Keysize is ${String(keysize)}, not 2048`);
  const keyType = content['Key Type'];
  if (keyType !== undefined && keyType !== 'RSA') throw invalid(type, `Key Type is ${String(keyType)}, not RSA`);
  const keyUsage = content['Key Usage'];
  return {
    payloadUuid: required(payload, 'PayloadUUID', type),
    url: httpUrl(content, 'URL', type),
    challenge: required(content, 'Challenge', type),
    subject: subjectOf(content['Subject'], type),
    keysize,
    keyUsage: typeof keyUsage === 'number' ? keyUsage : null,
    name: stringOr(content, 'Name'),
  };
}

function readMdm(payload: PlistDict): MdmPayload {
  const type = 'com.apple.mdm';
  const topic = required(payload, 'Topic', type);
  // An APNs MDM topic is always the push certificate's UID, "com.apple.mgmt.…".
  if (!topic.startsWith('com.apple.mgmt.')) throw invalid(type, `Topic "${topic}" does not start "com.apple.mgmt."`);
  const serverUrl = httpUrl(payload, 'ServerURL', type);
  const checkIn = payload['CheckInURL'];
  const capabilities = payload['ServerCapabilities'];
  const accessRights = payload['AccessRights'];
  return {
    serverUrl,
    // Without CheckInURL a device sends its check-ins to ServerURL (Apple's schema).
    checkInUrl: checkIn === undefined ? serverUrl : httpUrl(payload, 'CheckInURL', type),
    topic,
    identityCertificateUuid: required(payload, 'IdentityCertificateUUID', type),
    signMessage: payload['SignMessage'] === true,
    checkOutWhenRemoved: payload['CheckOutWhenRemoved'] === true,
    accessRights: typeof accessRights === 'number' ? accessRights : null,
    serverCapabilities: Array.isArray(capabilities)
      ? (capabilities as readonly PlistValue[]).filter((c): c is string => typeof c === 'string')
      : [],
  };
}

/** Apple's Subject: an array of RDNs, each an array of [type, value] pairs. */
function subjectOf(value: PlistValue | undefined, type: string): (readonly [string, string])[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(type, 'Subject is missing or empty');
  const subject: (readonly [string, string])[] = [];
  for (const rdn of value as readonly PlistValue[]) {
    if (!Array.isArray(rdn)) throw invalid(type, 'a Subject RDN is not an array');
    for (const pair of rdn as readonly PlistValue[]) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string')
        throw invalid(type, 'a Subject attribute is not a [type, value] pair of strings');
      subject.push([pair[0], pair[1]]);
    }
  }
  return subject;
}

function required(dict: PlistDict, key: string, type: string): string {
  const value = dict[key];
  if (typeof value !== 'string' || value === '') throw invalid(type, `${key} is missing or not a string`);
  return value;
}

function httpUrl(dict: PlistDict, key: string, type: string): string {
  const value = required(dict, key, type);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(type, `${key} "${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(type, `${key} "${value}" is not http(s)`);
  return value;
}

function stringOr(dict: PlistDict, key: string): string | null {
  const value = dict[key];
  return typeof value === 'string' ? value : null;
}

function invalid(type: string, message: string): ProfileError {
  return new ProfileError('PROFILE_PAYLOAD_INVALID', `${type}: ${message}`);
}
