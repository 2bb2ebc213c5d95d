import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SigningIdentity } from '../domain/enrollment/signing-identities.js';

/**
 * The profile-signing identity an operator configured (ORCHARD_PROFILE_SIGNING_CERT and _KEY):
 * the certificate file may carry its chain after the leaf, which goes into every signed
 * profile so that a device can build the path to a root it trusts. Refused at start, naming
 * the file, when it cannot be read or the key does not belong to the certificate.
 */
export async function readProfileSigner(files: { certificateFile: string; keyFile: string }): Promise<SigningIdentity> {
  const certificateText = await readFile(files.certificateFile, 'utf8');
  const blocks = certificateText.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const [leafPem, ...chainPem] = blocks;
  if (leafPem === undefined) {
    throw new Error(`ORCHARD_PROFILE_SIGNING_CERT: ${files.certificateFile} holds no PEM certificate`);
  }
  const keyPem = await readFile(files.keyFile, 'utf8');
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new Error(`ORCHARD_PROFILE_SIGNING_KEY: ${files.keyFile} is not a PEM private key`);
  }
  if (!new X509Certificate(leafPem).checkPrivateKey(key)) {
    throw new Error('ORCHARD_PROFILE_SIGNING_KEY does not belong to the certificate in ORCHARD_PROFILE_SIGNING_CERT');
  }
  return {
    certificatePem: leafPem,
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    chainPem,
  };
}
