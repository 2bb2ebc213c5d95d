/**
 * The "degenerate certificates-only" SignedData (RFC 8894 §3.4, RFC 5652 §5.2): no content,
 * no signers, only certificates. A successful CertRep carries the issued certificate this way
 * inside its envelope.
 */
import * as asn1js from 'asn1js';
import { Certificate, ContentInfo, EncapsulatedContentInfo, SignedData } from 'pkijs';
import { ScepError } from './errors.js';

const OID = { data: '1.2.840.113549.1.7.1', signedData: '1.2.840.113549.1.7.2' } as const;

export function certificatesOnly(certificatesDer: readonly Uint8Array[]): Buffer {
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: [],
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: certificatesDer.map((der) => Certificate.fromBER(der)),
    signerInfos: [],
  });
  const contentInfo = new ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER());
}

/** The certificates of a certificates-only SignedData, each as the DER it arrived in. */
export function readCertificatesOnly(der: Uint8Array): Buffer[] {
  try {
    const parsed = asn1js.fromBER(der);
    if (parsed.offset !== der.byteLength) throw new Error('trailing or missing bytes');
    const contentInfo = new ContentInfo({ schema: parsed.result });
    if (contentInfo.contentType !== OID.signedData) throw new Error('not SignedData');
    const signedData = new SignedData({ schema: contentInfo.content });
    return (signedData.certificates ?? [])
      .filter((c): c is Certificate => c instanceof Certificate)
      .map((c) => Buffer.from(c.toSchema().toBER()));
  } catch {
    throw new ScepError('SCEP_MALFORMED', 'the certificates-only SignedData is malformed');
  }
}
