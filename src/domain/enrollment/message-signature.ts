import type { X509Certificate } from 'node:crypto';
import { CmsError, verifySignedData } from '../../mdm/pki/cms-verify.js';
import { certificateSha256 } from '../../mdm/pki/identity.js';

export type SignatureCheck =
  | { readonly ok: true; readonly identitySha256: string; readonly certificate: X509Certificate }
  | { readonly ok: false; readonly reason: string };

/** A check-in signature is a few KiB at most; anything bigger is not one. */
const MAX_SIGNATURE_CHARS = 64 * 1024;

/**
 * `Mdm-Signature` (apple-protocols.md §3.1): base64 of a detached CMS SignedData over the exact
 * body, signed by the device's identity. The identity must have been issued by Orchard's
 * device CA and be within its validity; which enrollment it belongs to is the caller's check.
 */
export async function checkMessageSignature(
  body: Buffer,
  header: string | undefined,
  deviceCa: X509Certificate,
  now: Date,
): Promise<SignatureCheck> {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'no Mdm-Signature header' };
  if (header.length > MAX_SIGNATURE_CHARS) return { ok: false, reason: 'Mdm-Signature is too long' };
  const compact = header.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return { ok: false, reason: 'Mdm-Signature is not base64' };
  try {
    const verified = await verifySignedData(Buffer.from(compact, 'base64'), { detachedContent: body });
    const signer = verified.signer;
    if (!signer.checkIssued(deviceCa) || !signer.verify(deviceCa.publicKey)) {
      return {
        ok: false,
        reason: `the signing certificate (${signer.subject.replace(/\n/g, ', ')}) was not issued by Orchard's device CA`,
      };
    }
    if (new Date(signer.validTo).getTime() < now.getTime() || new Date(signer.validFrom).getTime() > now.getTime()) {
      return { ok: false, reason: 'the signing certificate is outside its validity period' };
    }
    return { ok: true, identitySha256: certificateSha256(signer.raw), certificate: signer };
  } catch (error) {
    if (error instanceof CmsError) return { ok: false, reason: `Mdm-Signature: ${error.message}` };
    throw error;
  }
}
