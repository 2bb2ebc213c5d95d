/**
 * The one organisation the sandbox plays: its identity for `GET /account`, the Apple ID of the
 * administrator who downloads tokens and assigns devices, and whether the latest Apple
 * Business Manager terms were accepted (organisation-wide in ABM: until an administrator
 * accepts them, every DEP call of every MDM server answers 403 T_C_NOT_SIGNED).
 */
import { createHash, randomInt } from 'node:crypto';
import { ensureMeta, getMeta, setMeta, type SandboxDb } from './db.js';

export interface Organization {
  readonly orgName: string;
  readonly orgEmail: string;
  readonly orgPhone: string;
  readonly orgAddress: string;
  readonly orgId: string;
  readonly orgIdHash: string;
  /** The Managed Apple ID that downloads tokens and assigns devices in the portal. */
  readonly adminId: string;
}

export class OrganizationStore {
  readonly organization: Organization;

  constructor(private readonly db: SandboxDb) {
    // Apple's org ids are all digits; made once so tokens and /account stay stable.
    const orgId = ensureMeta(db, 'org_id', () => String(randomInt(1_000_000_000, 9_999_999_999)));
    this.organization = {
      orgName: 'Sandbox Organization',
      orgEmail: 'it@sandbox-org.example',
      orgPhone: '+1 408 555 0100',
      orgAddress: '100 Orchard Way, Cupertino CA 95014, United States',
      orgId,
      orgIdHash: createHash('sha256').update(`org:${orgId}`).digest('hex'),
      adminId: 'sandbox.admin@sandbox-org.example',
    };
  }

  termsAccepted(): boolean {
    return getMeta(this.db, 'terms_accepted') !== '0';
  }

  setTermsAccepted(accepted: boolean): void {
    setMeta(this.db, 'terms_accepted', accepted ? '1' : '0');
  }
}
