/**
 * The sandbox's stand-in for Apple's iPhone Device CA: the issuer of every simulated device's
 * factory identity, which signs the MachineInfo a device POSTs to its enrollment URL. Orchard
 * trusts it in sandbox mode as it trusts Apple's device CA roots in production.
 *
 * Made once and kept in `sandbox.db` (table `device_ca`): the plugin and
 * `sandboxDeviceCaCertificate` (the host app's wiring, on its own connection) may both find
 * it missing at the same moment; each makes one, the first insert wins and both return the
 * stored row, so every caller sees the same CA.
 *
 * Dated by the host clock, not the sandbox clock: the sandbox's clock can be advanced (a
 * year, to show a token expiring) while Orchard checks certificates at its own time, and a
 * CA dated in Orchard's future would fail every chain.
 */
import { createCertificateAuthority, type DistinguishedName, type Identity } from '../mdm/pki/identity.js';
import type { SandboxDb } from './db.js';

export const DEVICE_CA_SUBJECT: DistinguishedName = [
  ['C', 'US'],
  ['O', 'Orchard Sandbox'],
  ['OU', 'Orchard Sandbox Certification Authority'],
  ['CN', 'Orchard Sandbox Device CA'],
];

/** Longer than any device identity it issues (see device-identities.ts). */
const DEVICE_CA_VALIDITY_DAYS = 25 * 365;

export class DeviceCa {
  private pending: Promise<Identity> | undefined;

  constructor(
    private readonly db: SandboxDb,
    private readonly hostClock: () => Date,
  ) {}

  /** The CA's certificate and key, made and stored on first use. */
  identity(): Promise<Identity> {
    // One promise per process: concurrent first calls share one key generation. A failed
    // attempt is forgotten so that the next call tries again.
    this.pending ??= loadOrCreateDeviceCa(this.db, this.hostClock()).catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }

  async certificatePem(): Promise<string> {
    return (await this.identity()).certificatePem;
  }
}

export async function loadOrCreateDeviceCa(db: SandboxDb, now: Date): Promise<Identity> {
  const stored = readDeviceCa(db);
  if (stored !== undefined) return stored;
  const made = await createCertificateAuthority({
    subject: DEVICE_CA_SUBJECT,
    now,
    validityDays: DEVICE_CA_VALIDITY_DAYS,
  });
  // Another connection may have stored one while the key was being made: keep the first.
  db.prepare(
    'INSERT OR IGNORE INTO device_ca (id, certificate_pem, private_key_pem, created_at) VALUES (1, ?, ?, ?)',
  ).run(made.certificatePem, made.privateKeyPem, now.getTime());
  const kept = readDeviceCa(db);
  if (kept === undefined) throw new Error('the sandbox device CA was stored but cannot be read back');
  return kept;
}

function readDeviceCa(db: SandboxDb): Identity | undefined {
  const row = db.prepare('SELECT certificate_pem, private_key_pem FROM device_ca WHERE id = 1').get() as
    { certificate_pem: string; private_key_pem: string } | undefined;
  return row === undefined ? undefined : { certificatePem: row.certificate_pem, privateKeyPem: row.private_key_pem };
}
