/**
 * A SCEP message Orchard cannot read, as a fact with a stable code. The endpoint answers these
 * with HTTP 400 and a short reason (SCEP clients do not read problem+json); a message that is
 * readable but refused is answered with a CertRep FAILURE instead, never with this error.
 */
export type ScepErrorCode =
  /** Not DER/BER, or not the structure RFC 8894 §3 describes. */
  | 'SCEP_MALFORMED'
  /** The CMS signature does not verify against the certificate it names. */
  | 'SCEP_BAD_SIGNATURE'
  /** A SCEP attribute is missing or has the wrong form. */
  | 'SCEP_BAD_ATTRIBUTE'
  /** An algorithm Orchard does not implement (key transport, cipher, key type). */
  | 'SCEP_UNSUPPORTED'
  /** The envelope is addressed to someone else, or will not open. */
  | 'SCEP_ENVELOPE'
  /** The PKCS#10 request is malformed or its own signature fails. */
  | 'SCEP_BAD_CSR'
  /** A reply that does not answer our request (transaction, nonce, signer). */
  | 'SCEP_MISMATCH';

export class ScepError extends Error {
  constructor(
    readonly code: ScepErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ScepError';
  }
}
