/**
 * The device side of SCEP (RFC 8894), as Orchard's device simulator and tests use it: build
 * a PKCSReq (or RenewalReq) the way an Apple device's SCEP payload does, and read the CertRep.
 * Bytes in, bytes out; the caller does the HTTP (GetCACert, then PKIOperation).
 *
 * A PKCSReq is signed with a throwaway self-signed certificate for the new key (§2.3); a
 * RenewalReq with the identity being renewed. Either way the CertRep's envelope is addressed
 * to that signer certificate, so the caller keeps `signerIdentity` until the answer is read.
 */
import { X509Certificate, createHash, createPublicKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { signData } from '../pki/cms-sign.js';
import { type Identity, createIdentity } from '../pki/identity.js';
import {
  MESSAGE_TYPE,
  NONCE_LENGTH,
  PKI_STATUS,
  SCEP_OID,
  failInfoName,
  octetsValue,
  printableValue,
  readNonce,
  readString,
} from './attributes.js';
import type { ScepFailInfo } from './authority.js';
import { buildCertificationRequest } from './csr.js';
import { readCertificatesOnly } from './degenerate.js';
import { envelopeKey, openScepEnvelope, sealEnvelope } from './envelope.js';
import { ScepError } from './errors.js';
import { issuedBy, verifyPkiMessage } from './message.js';

export interface ScepKeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export interface BuiltScepRequest {
  /** The DER pkiMessage: POST it, or send it base64 in `message=` with GET. */
  readonly message: Buffer;
  readonly transactionId: string;
  readonly senderNonce: Buffer;
  /** The certificate and key that signed the request; the CertRep is encrypted to them. */
  readonly signerIdentity: Identity;
}

type Subject = readonly (readonly [string, string])[];

/** A PKCSReq for `keyPair` carrying `challenge`, signed with a fresh self-signed certificate. */
export async function buildPkcsReq(o: {
  challenge: string;
  subject: Subject;
  keyPair: ScepKeyPair;
  caCertificatePem: string;
  now: Date;
}): Promise<BuiltScepRequest> {
  const signerIdentity = await createIdentity({
    subject: [['CN', 'SCEP Requester']],
    publicKey: o.keyPair.publicKey,
    privateKey: o.keyPair.privateKey,
    now: o.now,
    validityDays: 1,
    profile: 'client-identity',
  });
  return buildRequest({ ...o, messageType: MESSAGE_TYPE.PKCSReq, signerIdentity });
}

/**
 * A RenewalReq for `keyPair` (a new key, or the current one), signed with the current
 * identity `signerIdentity` that the CA issued (RFC 8894 §3.3.1.2).
 */
export async function buildRenewalReq(o: {
  subject: Subject;
  keyPair: ScepKeyPair;
  signerIdentity: Identity;
  caCertificatePem: string;
  now: Date;
  challenge?: string | null;
}): Promise<BuiltScepRequest> {
  return buildRequest({ ...o, challenge: o.challenge ?? null, messageType: MESSAGE_TYPE.RenewalReq });
}

async function buildRequest(o: {
  messageType: string;
  challenge: string | null;
  subject: Subject;
  keyPair: ScepKeyPair;
  signerIdentity: Identity;
  caCertificatePem: string;
  now: Date;
}): Promise<BuiltScepRequest> {
  const csr = buildCertificationRequest({
    subject: o.subject,
    challenge: o.challenge,
    publicKey: o.keyPair.publicKey,
    privateKey: o.keyPair.privateKey,
  });
  // RFC 8894 §3.2.1.1: the transactionID identifies the key being certified, so it is derived
  // from the public key (as hex, inside the PrintableString repertoire).
  const transactionId = createHash('sha256').update(spki(o.keyPair.publicKey)).digest('hex').toUpperCase();
  const senderNonce = randomBytes(NONCE_LENGTH);
  const envelope = sealEnvelope(csr, new X509Certificate(o.caCertificatePem));
  const message = await signData({
    content: envelope,
    signer: o.signerIdentity,
    detached: false,
    now: o.now,
    extraSignedAttributes: [
      { oid: SCEP_OID.messageType, values: [printableValue(o.messageType)] },
      { oid: SCEP_OID.transactionId, values: [printableValue(transactionId)] },
      { oid: SCEP_OID.senderNonce, values: [octetsValue(senderNonce)] },
    ],
  });
  return { message, transactionId, senderNonce, signerIdentity: o.signerIdentity };
}

export type CertRepReading =
  | { readonly status: 'SUCCESS'; readonly certificateDer: Buffer }
  | { readonly status: 'FAILURE'; readonly failInfo: ScepFailInfo }
  | { readonly status: 'PENDING' };

/**
 * Reads the CertRep answering a request built above. Throws ScepError unless it is signed by
 * the CA (or an RA certificate the CA issued), is a CertRep for `expected.transactionId`, and
 * its recipientNonce is our senderNonce (RFC 8894 §3.3.2: this is what ties the answer to the
 * request). On SUCCESS the certificate returned is the one for our key.
 */
export async function readCertRep(
  der: Uint8Array,
  o: {
    /** The key of the certificate that signed the request: the CertRep is encrypted to it. */
    requesterPrivateKey: KeyObject;
    /** PEM of the certificate that signed the request (`signerIdentity.certificatePem`). */
    signerCertificate: string;
    /** The key the request certified, when not the signer's (a RenewalReq with a new key). */
    certifiedKey?: KeyObject;
    caCertificatePem: string;
    expected: { transactionId: string; senderNonce: Uint8Array };
  },
): Promise<CertRepReading> {
  const ca = new X509Certificate(o.caCertificatePem);
  const signed = await verifyPkiMessage(der, { contentMayBeAbsent: true });
  const signer = signed.signer;
  const byCa = signer.raw.equals(ca.raw) || issuedBy(signer, ca);
  if (!byCa) throw new ScepError('SCEP_MISMATCH', 'the CertRep is not signed by the CA');

  const attributes = signed.signedAttributes;
  const messageType = readString(attributes, SCEP_OID.messageType, 'messageType');
  if (messageType !== MESSAGE_TYPE.CertRep) {
    throw new ScepError('SCEP_MISMATCH', `messageType ${messageType} is not CertRep`);
  }
  const transactionId = readString(attributes, SCEP_OID.transactionId, 'transactionID');
  if (transactionId !== o.expected.transactionId) {
    throw new ScepError('SCEP_MISMATCH', 'the CertRep answers another transaction');
  }
  const recipientNonce = readNonce(attributes, SCEP_OID.recipientNonce, 'recipientNonce');
  if (!recipientNonce.equals(o.expected.senderNonce)) {
    throw new ScepError('SCEP_MISMATCH', 'the recipientNonce is not our senderNonce');
  }

  const status = readString(attributes, SCEP_OID.pkiStatus, 'pkiStatus');
  switch (status) {
    case PKI_STATUS.PENDING:
      return { status: 'PENDING' };
    case PKI_STATUS.FAILURE: {
      const code = readString(attributes, SCEP_OID.failInfo, 'failInfo');
      const failInfo = failInfoName(code);
      if (failInfo === null) throw new ScepError('SCEP_BAD_ATTRIBUTE', `unknown failInfo ${code}`);
      return { status: 'FAILURE', failInfo };
    }
    case PKI_STATUS.SUCCESS:
      return { status: 'SUCCESS', certificateDer: issuedCertificate(signed.content, o) };
    default:
      throw new ScepError('SCEP_BAD_ATTRIBUTE', `unknown pkiStatus ${status}`);
  }
}

function issuedCertificate(
  envelope: Buffer,
  o: { requesterPrivateKey: KeyObject; signerCertificate: string; certifiedKey?: KeyObject },
): Buffer {
  const key = envelopeKey({
    certificatePem: o.signerCertificate,
    privateKeyPem: o.requesterPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  const certificates = readCertificatesOnly(openScepEnvelope(envelope, key));
  // The issued certificate is the one for the certified key; any others would be its chain.
  const wanted = spki(o.certifiedKey ?? createPublicKey(o.requesterPrivateKey));
  const match = certificates.find((der) => {
    try {
      return spki(new X509Certificate(der).publicKey).equals(wanted);
    } catch {
      return false;
    }
  });
  if (match === undefined)
    throw new ScepError('SCEP_MISMATCH', 'the CertRep holds no certificate for the requested key');
  return match;
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}
