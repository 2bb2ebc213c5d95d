/**
 * The server side of a SCEP pkiMessage (RFC 8894 §3): read a request, write a CertRep.
 *
 * A request is a CMS SignedData signed by the requester (a self-signed certificate for
 * PKCSReq, its current identity for RenewalReq) whose content is an EnvelopedData to the CA
 * holding the PKCS#10 request; the signed attributes carry messageType, transactionID and
 * senderNonce (§3.2.1). Reading is in two stages, because of what each failure allows:
 *
 * - Until the outer signature and those attributes check out, nothing in the message can be
 *   trusted or answered: a ScepError, which the endpoint turns into HTTP 400.
 * - After that the requester can be answered (§3.3.2): anything wrong inside (the envelope,
 *   the CSR, a message type Orchard does not serve) is `refused` with a failInfo, which the
 *   endpoint sends as a signed CertRep FAILURE.
 *
 * The CertRep is signed by the CA and echoes transactionID, with recipientNonce = the
 * request's senderNonce and a fresh senderNonce of our own (§3.3.2). SUCCESS carries an
 * EnvelopedData to the request's signer certificate holding a certificates-only SignedData
 * with the issued certificate; FAILURE carries failInfo and no content.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { type SignedAttribute, signData } from '../pki/cms-sign.js';
import { CmsError, type VerifiedSignedData, verifySignedData } from '../pki/cms-verify.js';
import {
  FAIL_INFO,
  MESSAGE_TYPE,
  NONCE_LENGTH,
  PKI_STATUS,
  SCEP_OID,
  octetsValue,
  printableValue,
  readNonce,
  readString,
  stringValue,
} from './attributes.js';
import type { ScepFailInfo, ScepIssueRequest } from './authority.js';
import { readCertificationRequest } from './csr.js';
import { certificatesOnly } from './degenerate.js';
import { type EnvelopeKey, envelopeKey, openScepEnvelope, sealEnvelope } from './envelope.js';
import { ScepError, type ScepErrorCode } from './errors.js';

/** A pkiMessage is a CSR and a certificate or two; 64 KiB is far beyond any real one. */
export const MAX_PKI_MESSAGE_BYTES = 64 * 1024;

const ID_DATA = '1.2.840.113549.1.7.1';

/** The CA as the codec uses it: parsed once per key pair. */
export interface ScepCa {
  readonly certificate: X509Certificate;
  readonly certificateDer: Buffer;
  readonly identity: { readonly certificatePem: string; readonly privateKeyPem: string };
  readonly envelopeKey: EnvelopeKey;
}

const prepared = new WeakMap<object, ScepCa>();

/** Reads the CA's PEMs (once per object: an authority that returns the same object is not re-parsed). */
export function prepareCa(pair: { readonly certificatePem: string; readonly privateKeyPem: string }): ScepCa {
  const cached = prepared.get(pair);
  if (cached !== undefined) return cached;
  const certificate = new X509Certificate(pair.certificatePem);
  const ca: ScepCa = {
    certificate,
    certificateDer: certificate.raw,
    identity: { certificatePem: pair.certificatePem, privateKeyPem: pair.privateKeyPem },
    envelopeKey: envelopeKey(pair),
  };
  prepared.set(pair, ca);
  return ca;
}

/** What a readable request says about itself; enough to answer it. */
export interface ScepHeader {
  /** The messageType number as sent (RFC 8894 §3.2.1.2), e.g. '19' for PKCSReq. */
  readonly messageType: string;
  readonly transactionId: string;
  readonly senderNonce: Buffer;
  /** The certificate the outer signature verified with. */
  readonly signer: X509Certificate;
}

export type DecodedPkiMessage =
  | { readonly kind: 'request'; readonly header: ScepHeader; readonly request: ScepIssueRequest }
  | { readonly kind: 'refused'; readonly header: ScepHeader; readonly failInfo: ScepFailInfo; readonly reason: string };

/**
 * Reads a PKCSReq or RenewalReq sent to `ca`. Throws ScepError when the message cannot be
 * trusted enough to answer. For a RenewalReq it also checks that the signer was issued by
 * this CA and is valid at `now` (RFC 8894 §3.3.1.2); whether that identity may renew is the
 * authority's decision.
 */
export async function decodePkiMessage(der: Uint8Array, ca: ScepCa, now: Date): Promise<DecodedPkiMessage> {
  const signed = await verifyPkiMessage(der, { contentMayBeAbsent: false });
  if (signed.contentType !== ID_DATA) {
    throw new ScepError('SCEP_MALFORMED', `content type ${signed.contentType} is not id-data`);
  }
  const header: ScepHeader = {
    messageType: readString(signed.signedAttributes, SCEP_OID.messageType, 'messageType'),
    transactionId: readString(signed.signedAttributes, SCEP_OID.transactionId, 'transactionID'),
    senderNonce: readNonce(signed.signedAttributes, SCEP_OID.senderNonce, 'senderNonce'),
    signer: signed.signer,
  };
  const refuse = (failInfo: ScepFailInfo, reason: string): DecodedPkiMessage => ({
    kind: 'refused',
    header,
    failInfo,
    reason,
  });

  let messageType: ScepIssueRequest['messageType'];
  if (header.messageType === MESSAGE_TYPE.PKCSReq) messageType = 'PKCSReq';
  else if (header.messageType === MESSAGE_TYPE.RenewalReq) messageType = 'RenewalReq';
  else return refuse('badRequest', `messageType ${header.messageType} is not served (PKCSReq and RenewalReq only)`);

  // The CertRep is encrypted to the signer's key with RSA key transport.
  if (header.signer.publicKey.asymmetricKeyType !== 'rsa') {
    return refuse(
      'badAlg',
      `the signer's ${header.signer.publicKey.asymmetricKeyType ?? 'unknown'} key cannot receive an RSA envelope`,
    );
  }
  if (messageType === 'RenewalReq') {
    const signer = header.signer;
    if (!issuedBy(signer, ca.certificate)) {
      return refuse('badCertId', 'a RenewalReq must be signed by an identity this CA issued');
    }
    if (now < new Date(signer.validFrom) || now > new Date(signer.validTo)) {
      return refuse('badTime', `the renewing identity is valid ${signer.validFrom} to ${signer.validTo}`);
    }
  }

  let csrDer: Buffer;
  try {
    csrDer = openScepEnvelope(signed.content, ca.envelopeKey);
  } catch (error) {
    if (error instanceof ScepError) return refuse(failInfoFor(error.code), `envelope: ${error.message}`);
    throw error;
  }
  try {
    const csr = readCertificationRequest(csrDer);
    return {
      kind: 'request',
      header,
      request: { messageType, transactionId: header.transactionId, csr, signer: header.signer },
    };
  } catch (error) {
    if (error instanceof ScepError) return refuse(failInfoFor(error.code), `PKCS#10: ${error.message}`);
    throw error;
  }
}

/** Whether `certificate` names `issuer` as its issuer and carries its signature. */
export function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    return false; // a signature OpenSSL cannot even evaluate
  }
}

function failInfoFor(code: ScepErrorCode): ScepFailInfo {
  switch (code) {
    case 'SCEP_UNSUPPORTED':
      return 'badAlg';
    case 'SCEP_BAD_SIGNATURE':
    case 'SCEP_ENVELOPE':
      return 'badMessageCheck';
    default:
      return 'badRequest';
  }
}

export type CertRepResult =
  | { readonly status: 'SUCCESS'; readonly certificateDer: Buffer }
  | { readonly status: 'FAILURE'; readonly failInfo: ScepFailInfo };

/** The signed CertRep answering `header` (RFC 8894 §3.3.2). */
export async function buildCertRep(o: {
  header: ScepHeader;
  ca: ScepCa;
  result: CertRepResult;
  now: Date;
  /** Our own senderNonce; random when absent. */
  senderNonce?: Buffer;
}): Promise<Buffer> {
  const attributes: SignedAttribute[] = [
    { oid: SCEP_OID.messageType, values: [printableValue(MESSAGE_TYPE.CertRep)] },
    { oid: SCEP_OID.transactionId, values: [stringValue(o.header.transactionId)] },
    { oid: SCEP_OID.recipientNonce, values: [octetsValue(o.header.senderNonce)] },
    { oid: SCEP_OID.senderNonce, values: [octetsValue(o.senderNonce ?? randomBytes(NONCE_LENGTH))] },
    { oid: SCEP_OID.pkiStatus, values: [printableValue(PKI_STATUS[o.result.status])] },
  ];
  if (o.result.status === 'FAILURE') {
    attributes.push({ oid: SCEP_OID.failInfo, values: [printableValue(FAIL_INFO[o.result.failInfo])] });
    // §3.3.2: on FAILURE the pkcsPKIEnvelope is omitted.
    return signData({
      content: Buffer.alloc(0),
      signer: o.ca.identity,
      detached: true,
      now: o.now,
      extraSignedAttributes: attributes,
    });
  }
  const envelope = sealEnvelope(certificatesOnly([o.result.certificateDer]), o.header.signer);
  return signData({
    content: envelope,
    signer: o.ca.identity,
    detached: false,
    now: o.now,
    extraSignedAttributes: attributes,
  });
}

/**
 * verifySignedData with its CmsErrors as ScepErrors. `contentMayBeAbsent`: a CertRep FAILURE
 * or PENDING carries no content (RFC 8894 §3.3.2), so its signature covers the empty string.
 */
export async function verifyPkiMessage(
  der: Uint8Array,
  o: { contentMayBeAbsent: boolean },
): Promise<VerifiedSignedData> {
  try {
    try {
      return await verifySignedData(der, { maxBytes: MAX_PKI_MESSAGE_BYTES });
    } catch (error) {
      if (!(error instanceof CmsError && error.code === 'CMS_CONTENT_MISSING' && o.contentMayBeAbsent)) throw error;
      return await verifySignedData(der, { maxBytes: MAX_PKI_MESSAGE_BYTES, detachedContent: new Uint8Array(0) });
    }
  } catch (error) {
    if (!(error instanceof CmsError)) throw error;
    switch (error.code) {
      case 'CMS_SIGNATURE_INVALID':
        throw new ScepError('SCEP_BAD_SIGNATURE', error.message);
      case 'CMS_UNSUPPORTED_ALGORITHM':
        throw new ScepError('SCEP_UNSUPPORTED', error.message);
      default:
        throw new ScepError('SCEP_MALFORMED', error.message);
    }
  }
}
