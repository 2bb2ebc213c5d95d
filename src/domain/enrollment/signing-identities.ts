import { createCertificateAuthority, createIdentity, type Identity } from '../../mdm/pki/identity.js';
import type { Repositories } from '../../store/repositories/index.js';
import type { PkiIdentityName } from '../../store/schema.js';
import { isoNow, type Clock } from '../clock.js';
import type { SecretStore } from '../secrets.js';

/** A PEM identity plus the certificates a verifier needs to reach its root. */
export interface SigningIdentity extends Identity {
  readonly chainPem: readonly string[];
}

const CA_YEARS = 20;
const SIGNER_YEARS = 5;

/**
 * Orchard's own identities: the device CA that issues every device's MDM identity over SCEP
 * and checks check-in signatures, and the profile signer. Made once per installation and
 * shared by every instance (keys sealed in the secret box); a configured profile signer
 * (ORCHARD_PROFILE_SIGNING_CERT/KEY) replaces the generated one.
 */
export class SigningIdentities {
  private readonly cache = new Map<PkiIdentityName, Promise<SigningIdentity>>();

  constructor(
    private readonly deps: {
      readonly repositories: Pick<Repositories, 'pkiIdentities'>;
      readonly secrets: SecretStore;
      readonly clock: Clock;
      readonly configuredProfileSigner?: SigningIdentity;
    },
  ) {}

  deviceCa(): Promise<SigningIdentity> {
    return this.cached('device_ca', async () => ({
      ...(await createCertificateAuthority({
        subject: [
          ['O', 'Orchard'],
          ['CN', 'Orchard Device CA'],
        ],
        now: this.deps.clock.now(),
        validityDays: CA_YEARS * 365,
      })),
      chainPem: [],
    }));
  }

  profileSigner(): Promise<SigningIdentity> {
    const configured = this.deps.configuredProfileSigner;
    if (configured !== undefined) return Promise.resolve(configured);
    return this.cached('profile_signer', async () => ({
      ...(await createIdentity({
        subject: [
          ['O', 'Orchard'],
          ['CN', 'Orchard Profile Signing'],
        ],
        now: this.deps.clock.now(),
        validityDays: SIGNER_YEARS * 365,
        profile: 'signing',
      })),
      chainPem: [],
    }));
  }

  private cached(name: PkiIdentityName, make: () => Promise<SigningIdentity>): Promise<SigningIdentity> {
    let identity = this.cache.get(name);
    if (identity === undefined) {
      identity = this.loadOrCreate(name, make);
      // A failure (database down) is not remembered: the next caller tries again.
      identity.catch(() => this.cache.delete(name));
      this.cache.set(name, identity);
    }
    return identity;
  }

  private async loadOrCreate(name: PkiIdentityName, make: () => Promise<SigningIdentity>): Promise<SigningIdentity> {
    const { pkiIdentities } = this.deps.repositories;
    const stored = await pkiIdentities.find(name);
    if (stored !== undefined) return this.open(stored.certificatePem, stored.privateKeySecretId);
    const made = await make();
    const secretId = await this.deps.secrets.put(`pki.${name}`, made.privateKeyPem);
    const inserted = await pkiIdentities.insertIfAbsent(
      { name, certificatePem: made.certificatePem, privateKeySecretId: secretId },
      isoNow(this.deps.clock),
    );
    if (inserted) return made;
    // Another instance stored its own first: everyone uses that one.
    await this.deps.secrets.delete(secretId);
    const winner = await pkiIdentities.find(name);
    if (winner === undefined) throw new Error(`the ${name} identity vanished while being created`);
    return this.open(winner.certificatePem, winner.privateKeySecretId);
  }

  private async open(certificatePem: string, secretId: string): Promise<SigningIdentity> {
    const key = await this.deps.secrets.get(secretId);
    if (key === undefined) throw new Error('the signing identity key is missing from the secret store');
    return { certificatePem, privateKeyPem: key.toString('utf8'), chainPem: [] };
  }
}
