/**
 * Each simulated device's UDID and factory identity: what a real iPhone carries from the
 * factory (a key in its Secure Enclave and a certificate from Apple's iPhone Device CA) and
 * signs its MachineInfo with at Setup Assistant (apple-protocols.md §3, step 1).
 *
 * - UDID: Apple's modern layout, `<8 hex chip id>-<16 hex ECID>` upper case, e.g.
 *   `00008110-001A2B3C4D5E6F70`. The chip id is a real one for the family; the ECID part is
 *   random (56 bits after two zero digits, as real ECIDs start), unique by constraint.
 *   Made on first need and never changed.
 * - Certificate subject: `C=US, O=Orchard Sandbox, OU=<family>, CN=<UDID>,
 *   serialNumber=<serial>` (X.520 serialNumber, 2.5.4.5), so a verifier can read both
 *   identifiers from the signer without parsing MachineInfo. Profile `client-identity`.
 * - Key: EC P-256 made here (cheap enough for 10,000 devices in a benchmark), or a public key
 *   the caller brings (a simulator's pre-generated pool); then the sandbox never sees the
 *   private half and stores none. Bringing a different key replaces the identity, as a new
 *   logic board would; bringing the same key again returns the stored certificate.
 * - Dated by the host clock, for the reason given in device-ca.ts.
 */
import { X509Certificate, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { createIdentity, issueCertificate, type DistinguishedName } from '../mdm/pki/identity.js';
import type { SandboxDb } from './db.js';
import type { DeviceCa } from './device-ca.js';
import type { DeviceFamily } from './device-catalog.js';

/** Long enough that advancing the sandbox clock for a demo never outlives a device. */
const DEVICE_IDENTITY_VALIDITY_DAYS = 20 * 365;

/** A chip id (CPID) per family, so UDIDs look like those of current hardware. */
const CHIP_IDS: Readonly<Record<DeviceFamily, string>> = {
  iPhone: '00008110', // A15
  iPad: '00008103', // M1
  Mac: '00008112', // M2
  AppleTV: '00008110', // A15 (Apple TV 4K, 3rd generation)
  Vision: '00008112', // M2
};

export const UDID_PATTERN = /^[0-9A-F]{8}-[0-9A-F]{16}$/;

export interface FactoryIdentity {
  readonly udid: string;
  readonly certificatePem: string;
  /** PKCS#8 PEM; null when the caller brought the key. */
  readonly privateKeyPem: string | null;
  readonly caCertificatePem: string;
}

/** The device an identity is made for (its serial and family name it). */
export interface IdentitySubject {
  readonly serial: string;
  readonly deviceFamily: string;
}

/** A `publicKeyPem` the sandbox will not certify. */
export class DeviceKeyError extends Error {
  readonly code = 'PUBLIC_KEY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'DeviceKeyError';
  }
}

interface IdentityRow {
  readonly udid: string;
  readonly certificate_pem: string | null;
  readonly private_key_pem: string | null;
}

export class DeviceIdentityStore {
  private readonly selectRow;
  private readonly insertUdid;
  private readonly storeGenerated;
  private readonly storeBrought;

  constructor(
    db: SandboxDb,
    private readonly ca: DeviceCa,
    private readonly hostClock: () => Date,
  ) {
    this.selectRow = db.prepare(
      'SELECT udid, certificate_pem, private_key_pem FROM device_identities WHERE serial = ?',
    );
    this.insertUdid = db.prepare('INSERT OR IGNORE INTO device_identities (serial, udid) VALUES (?, ?)');
    // Two first calls for one device race through key generation; the first stored wins
    // and both answer it, so a device never has two factory identities.
    this.storeGenerated = db.prepare(
      `UPDATE device_identities SET certificate_pem = ?, private_key_pem = ?, issued_at = ?
       WHERE serial = ? AND certificate_pem IS NULL`,
    );
    this.storeBrought = db.prepare(
      'UPDATE device_identities SET certificate_pem = ?, private_key_pem = NULL, issued_at = ? WHERE serial = ?',
    );
  }

  /** The device's UDID, made and stored the first time it is asked for. */
  udid(device: IdentitySubject): string {
    for (;;) {
      const existing = this.row(device.serial);
      if (existing !== undefined) return existing.udid;
      // OR IGNORE covers both races: another caller made this device's row (we read theirs)
      // and the one-in-2^56 UDID collision (no row yet: try another).
      this.insertUdid.run(device.serial, newUdid(device.deviceFamily));
    }
  }

  /**
   * The device's factory identity: the stored one, or a new one made now. With `publicKey`,
   * a certificate for that key (see the header for when it replaces the stored identity).
   */
  async factoryIdentity(device: IdentitySubject, publicKey?: KeyObject): Promise<FactoryIdentity> {
    const udid = this.udid(device);
    const ca = await this.ca.identity();
    const stored = this.row(device.serial);
    const now = this.hostClock();
    const subject = deviceSubject(device, udid);
    if (publicKey !== undefined) {
      const certificatePem = stored?.certificate_pem ?? null;
      if (certificatePem !== null && new X509Certificate(certificatePem).publicKey.equals(publicKey))
        return { udid, certificatePem, privateKeyPem: null, caCertificatePem: ca.certificatePem };
      const issued = await issueCertificate({
        issuer: ca,
        subject,
        publicKey,
        now,
        validityDays: DEVICE_IDENTITY_VALIDITY_DAYS,
        profile: 'client-identity',
      });
      this.storeBrought.run(issued.certificatePem, now.getTime(), device.serial);
      return { udid, certificatePem: issued.certificatePem, privateKeyPem: null, caCertificatePem: ca.certificatePem };
    }
    const existing = stored === undefined ? undefined : issuedIdentity(stored);
    if (existing !== undefined) return { ...existing, caCertificatePem: ca.certificatePem };
    const made = await createIdentity({
      subject,
      issuer: ca,
      now,
      validityDays: DEVICE_IDENTITY_VALIDITY_DAYS,
      profile: 'client-identity',
      keyType: 'ec-p256',
    });
    this.storeGenerated.run(made.certificatePem, made.privateKeyPem, now.getTime(), device.serial);
    const kept = this.row(device.serial);
    const issued = kept === undefined ? undefined : issuedIdentity(kept);
    if (issued === undefined) throw new Error(`the identity of ${device.serial} was not stored`);
    return { ...issued, caCertificatePem: ca.certificatePem };
  }

  private row(serial: string): IdentityRow | undefined {
    return this.selectRow.get(serial) as IdentityRow | undefined;
  }
}

/** The row's identity, when one has been issued (a row can hold only the UDID so far). */
function issuedIdentity(row: IdentityRow): Omit<FactoryIdentity, 'caCertificatePem'> | undefined {
  if (row.certificate_pem === null) return undefined;
  return { udid: row.udid, certificatePem: row.certificate_pem, privateKeyPem: row.private_key_pem };
}

function newUdid(family: string): string {
  const chip = CHIP_IDS[family as DeviceFamily] ?? CHIP_IDS.iPhone;
  return `${chip}-00${randomBytes(7).toString('hex').toUpperCase()}`;
}

function deviceSubject(device: IdentitySubject, udid: string): DistinguishedName {
  return [
    ['C', 'US'],
    ['O', 'Orchard Sandbox'],
    ['OU', device.deviceFamily],
    ['CN', udid],
    ['serialNumber', device.serial],
  ];
}

/**
 * A caller's `publicKeyPem`: an SPKI public key (`BEGIN PUBLIC KEY`) or a certificate's, of a
 * kind a device could hold: EC P-256/P-384 or RSA of at least 2048 bits. A private key is
 * refused rather than quietly reduced to its public half: it should never have been sent.
 */
export function readDevicePublicKey(pem: unknown): KeyObject {
  if (typeof pem !== 'string' || pem.trim() === '')
    throw new DeviceKeyError('"publicKeyPem" must be the PEM text of a public key.');
  if (/PRIVATE KEY-----/.test(pem))
    throw new DeviceKeyError('Send the public key only ("BEGIN PUBLIC KEY"); the private key stays with the device.');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new DeviceKeyError('"publicKeyPem" is not a PEM public key.');
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && (details?.namedCurve === 'prime256v1' || details?.namedCurve === 'secp384r1'))
    return key;
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return key;
  throw new DeviceKeyError('The device key must be EC P-256, EC P-384 or RSA with at least 2048 bits.');
}
