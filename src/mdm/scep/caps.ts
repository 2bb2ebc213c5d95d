/**
 * GetCACaps (RFC 8894 §3.5.2): what this CA supports, one keyword per line. AES and SHA-256
 * rather than DES3 and SHA-1 (WebCrypto-era clients, and RFC 8894 §3.5.2's recommendation);
 * POSTPKIOperation so clients send binary bodies instead of base64 in the URL; Renewal for
 * RenewalReq signed by the current identity; SCEPStandard says all of RFC 8894's set.
 */
export const CA_CAPABILITIES = ['AES', 'POSTPKIOperation', 'Renewal', 'SHA-256', 'SCEPStandard'] as const;

export function caCapsText(): string {
  return `${CA_CAPABILITIES.join('\n')}\n`;
}
