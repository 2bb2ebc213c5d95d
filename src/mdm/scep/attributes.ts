/**
 * SCEP's signed attributes (RFC 8894 §3.2.1): their OIDs, the numbers the strings stand for,
 * and the DER of each value. messageType, pkiStatus, failInfo and transactionID are
 * PrintableStrings; senderNonce and recipientNonce are 16-byte OCTET STRINGs. Readers also
 * take UTF8String and IA5String for the strings: Go's encoding/asn1 (micromdm) writes a
 * UTF8String whenever a value leaves the PrintableString repertoire.
 */
import * as asn1js from 'asn1js';
import type { ScepFailInfo } from './authority.js';
import { ScepError } from './errors.js';

export const SCEP_OID = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
} as const;

/** RFC 8894 §3.2.1.2. */
export const MESSAGE_TYPE = {
  CertRep: '3',
  RenewalReq: '17',
  UpdateReq: '18',
  PKCSReq: '19',
  CertPoll: '20',
  GetCert: '21',
  GetCRL: '22',
} as const;

/** RFC 8894 §3.2.1.3. */
export const PKI_STATUS = { SUCCESS: '0', FAILURE: '2', PENDING: '3' } as const;

/** RFC 8894 §3.2.1.4. */
export const FAIL_INFO: Readonly<Record<ScepFailInfo, string>> = {
  badAlg: '0',
  badMessageCheck: '1',
  badRequest: '2',
  badTime: '3',
  badCertId: '4',
};

export function failInfoName(code: string): ScepFailInfo | null {
  for (const [name, value] of Object.entries(FAIL_INFO)) if (value === code) return name as ScepFailInfo;
  return null;
}

/** RFC 8894 §3.2.1.5: a 16-byte random nonce; other lengths are read but not written. */
export const NONCE_LENGTH = 16;
const MAX_NONCE_LENGTH = 64;
const MAX_STRING_LENGTH = 256;

export function printableValue(value: string): Buffer {
  return Buffer.from(new asn1js.PrintableString({ value }).toBER());
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]+$/;

/** PrintableString when the text fits its repertoire (X.680 §41.4), UTF8String otherwise. */
export function stringValue(value: string): Buffer {
  return PRINTABLE.test(value) ? printableValue(value) : Buffer.from(new asn1js.Utf8String({ value }).toBER());
}

export function octetsValue(value: Uint8Array): Buffer {
  return Buffer.from(new asn1js.OctetString({ valueHex: value }).toBER());
}

/** The single value of a string attribute, or a SCEP_BAD_ATTRIBUTE error naming it. */
export function readString(attributes: ReadonlyMap<string, readonly Uint8Array[]>, oid: string, name: string): string {
  const value = single(attributes, oid, name);
  if (
    !(value instanceof asn1js.PrintableString) &&
    !(value instanceof asn1js.Utf8String) &&
    !(value instanceof asn1js.IA5String)
  ) {
    throw new ScepError('SCEP_BAD_ATTRIBUTE', `${name} is not a string`);
  }
  const text = value.getValue();
  if (text.length === 0 || text.length > MAX_STRING_LENGTH) {
    throw new ScepError('SCEP_BAD_ATTRIBUTE', `${name} must be 1 to ${MAX_STRING_LENGTH} characters`);
  }
  return text;
}

export function readNonce(attributes: ReadonlyMap<string, readonly Uint8Array[]>, oid: string, name: string): Buffer {
  const value = single(attributes, oid, name);
  if (!(value instanceof asn1js.OctetString) || value.idBlock.isConstructed) {
    throw new ScepError('SCEP_BAD_ATTRIBUTE', `${name} is not an OCTET STRING`);
  }
  const bytes = Buffer.from(value.valueBlock.valueHexView);
  if (bytes.length === 0 || bytes.length > MAX_NONCE_LENGTH) {
    throw new ScepError('SCEP_BAD_ATTRIBUTE', `${name} must be 1 to ${MAX_NONCE_LENGTH} bytes`);
  }
  return bytes;
}

function single(
  attributes: ReadonlyMap<string, readonly Uint8Array[]>,
  oid: string,
  name: string,
): ReturnType<typeof asn1js.fromBER>['result'] {
  const values = attributes.get(oid);
  if (values === undefined || values.length === 0) throw new ScepError('SCEP_BAD_ATTRIBUTE', `${name} is missing`);
  const [der] = values;
  if (values.length !== 1 || der === undefined) throw new ScepError('SCEP_BAD_ATTRIBUTE', `${name} has several values`);
  const parsed = asn1js.fromBER(der);
  if (parsed.offset !== der.byteLength) throw new ScepError('SCEP_BAD_ATTRIBUTE', `${name} is not one DER value`);
  return parsed.result;
}
