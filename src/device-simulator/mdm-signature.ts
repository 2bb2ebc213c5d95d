/**
 * The `Mdm-Signature` header a device puts on every check-in and command report when its
 * profile says SignMessage: base64 of a detached CMS SignedData (RFC 5652 §5) over the exact
 * body, signed by the SCEP identity, carrying that certificate (apple-protocols.md §3.1).
 *
 * Written by `signData` (src/mdm/pki/cms-sign.ts), Orchard's one CMS signer: it encodes the
 * DER by hand for speed, so a device's six or more signatures per enrollment cost about the
 * RSA operation each. The signer is read and checked once, when the device gets its identity.
 */
import { checkSigner, signData } from '../mdm/pki/cms-sign.js';
import type { Identity } from '../mdm/pki/identity.js';

export class DeviceSigner {
  constructor(private readonly identity: Identity) {
    checkSigner(identity);
  }

  /** The header value: base64 DER. */
  async signatureHeader(body: Uint8Array, now: Date): Promise<string> {
    return (await this.sign(body, now)).toString('base64');
  }

  sign(body: Uint8Array, now: Date): Promise<Buffer> {
    return signData({ content: body, signer: this.identity, detached: true, now });
  }
}
