/**
 * SCEP's pkcsPKIEnvelope (RFC 8894 §3.2.2): a CMS EnvelopedData (RFC 5652 §6).
 *
 * Sealing (a CertRep to the requester, a request to the CA): one KeyTransRecipientInfo
 * naming the recipient certificate by issuer and serial number, RSA PKCS#1 v1.5 key transport
 * (rsaEncryption, what every SCEP client can open; Node allows it for encryption), AES-128-CBC
 * content encryption (RFC 8894 §3.5.2 "AES"; micromdm's Go pkcs7 opens AES-128 and AES-256
 * but not AES-192). DER throughout.
 *
 * Opening reuses the token code's envelope reader (src/apple/cms-envelope.ts): Node 20
 * refuses PKCS#1 v1.5 decryption, and that reader unwraps it with implicit rejection.
 */
import { X509Certificate, constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AlgorithmIdentifier,
  Certificate,
  ContentInfo,
  EncryptedContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  KeyTransRecipientInfo,
  RecipientInfo,
} from 'pkijs';
import { TokenCorruptError, TokenWrongKeyError } from '../../apple/errors.js';
import { type HeldKeyPair, loadKeyPairs, openEnvelope } from '../../apple/cms-envelope.js';
import { ScepError } from './errors.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  envelopedData: '1.2.840.113549.1.7.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
} as const;

/** Encrypts `content` to the RSA key of `recipient`; returns the DER ContentInfo. */
export function sealEnvelope(content: Uint8Array, recipient: X509Certificate): Buffer {
  const publicKey = recipient.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new ScepError(
      'SCEP_UNSUPPORTED',
      `cannot encrypt to a ${publicKey.asymmetricKeyType ?? 'unknown'} key (RSA key transport only)`,
    );
  }
  const cert = Certificate.fromBER(recipient.raw);
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key);

  const recipientInfo = new RecipientInfo({
    variant: 1,
    value: new KeyTransRecipientInfo({
      version: 0, // RFC 5652 §6.2.1: 0 when the rid is issuerAndSerialNumber
      // The issuer Name exactly as the certificate encodes it: Go's pkcs7 finds its recipient
      // by comparing these bytes with the certificate's RawIssuer.
      rid: new IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
      keyEncryptionAlgorithm: new AlgorithmIdentifier({
        algorithmId: OID.rsaEncryption,
        algorithmParams: new asn1js.Null(),
      }),
      encryptedKey: new asn1js.OctetString({ valueHex: encryptedKey }),
    }),
  });
  const envelopedData = new EnvelopedData({
    version: 0, // RFC 5652 §6.1: no originatorInfo, only v0 KeyTransRecipientInfos
    recipientInfos: [recipientInfo],
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: new AlgorithmIdentifier({
        algorithmId: OID.aes128Cbc,
        algorithmParams: new asn1js.OctetString({ valueHex: iv }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: encrypted }),
      // Keep the OCTET STRING primitive (DER); pkijs would otherwise cut it into BER pieces.
      disableSplit: true,
    }),
  });
  const contentInfo = new ContentInfo({ contentType: OID.envelopedData, content: envelopedData.toSchema() });
  return Buffer.from(contentInfo.toSchema().toBER());
}

/** A key pair that can open envelopes, read once. */
export interface EnvelopeKey {
  readonly held: readonly HeldKeyPair[];
}

export function envelopeKey(pair: { readonly certificatePem: string; readonly privateKeyPem: string }): EnvelopeKey {
  return { held: loadKeyPairs([{ id: 'scep', ...pair }]) };
}

/**
 * Decrypts an EnvelopedData addressed to `key`. Throws ScepError SCEP_ENVELOPE (not ours,
 * damaged, wrong key) or SCEP_UNSUPPORTED (an algorithm the reader does not implement).
 * Single DES-CBC is accepted because micromdm's scepclient 2.1 sends nothing else.
 */
export function openScepEnvelope(der: Uint8Array, key: EnvelopeKey): Buffer {
  try {
    return openEnvelope(der, key.held, { allowDesCbc: true }).content;
  } catch (error) {
    if (error instanceof TokenWrongKeyError) {
      throw new ScepError('SCEP_ENVELOPE', 'the envelope is not addressed to this certificate');
    }
    if (error instanceof TokenCorruptError) {
      // The reader names algorithms it lacks "unsupported …" (cms-envelope.ts).
      if (error.reason.startsWith('unsupported')) throw new ScepError('SCEP_UNSUPPORTED', error.reason);
      throw new ScepError('SCEP_ENVELOPE', error.reason);
    }
    throw new ScepError('SCEP_ENVELOPE', 'the envelope cannot be read');
  }
}
