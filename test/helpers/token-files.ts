import { randomBytes } from 'node:crypto';
import { appleSmime, certificateFile, encryptWithOpenssl, scratchDir } from '../apple/support/openssl.js';

export interface TokenFields {
  readonly consumerKey?: string;
  readonly expiry?: string;
}

/** Fresh OAuth values in Apple's shapes, so no two test tokens share a secret. */
export function tokenJson(fields: TokenFields = {}): { json: string; consumerKey: string; secrets: string[] } {
  const hex = (n: number) => randomBytes(n).toString('hex');
  const consumerKey = fields.consumerKey ?? `CK_${hex(48)}`;
  const consumerSecret = `CS_${hex(20)}`;
  const accessSecret = `AS_${hex(20)}`;
  const accessToken = `AT_O${Date.now()}O${hex(20)}O${Date.now()}`;
  const json = JSON.stringify({
    consumer_key: consumerKey,
    consumer_secret: consumerSecret,
    access_token: accessToken,
    access_secret: accessSecret,
    access_token_expiry: fields.expiry ?? '2027-06-01T12:00:00Z',
  });
  return { json, consumerKey, secrets: [consumerSecret, accessSecret, accessToken] };
}

/**
 * A server token file as Apple Business Manager issues it, made by the OpenSSL CLI for the
 * given certificate: BER indefinite lengths, AES-128-CBC, Apple's S/MIME headers.
 */
export async function tokenFileFor(certificatePem: string, json: string): Promise<Buffer> {
  const dir = await scratchDir();
  try {
    const cert = await certificateFile(dir.path, certificatePem, '');
    const inner = `Content-Type: text/plain;charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n-----BEGIN MESSAGE-----\n${json}\n-----END MESSAGE-----\n`;
    const der = await encryptWithOpenssl(dir.path, cert.certificatePath, inner, {
      tool: 'cms',
      stream: true,
      outform: 'DER',
      cipher: '-aes128',
      transport: 'pkcs1',
    });
    return appleSmime(der);
  } finally {
    await dir.remove();
  }
}
