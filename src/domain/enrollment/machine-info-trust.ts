import type { X509Certificate } from 'node:crypto';

/** Whether a MachineInfo signer chains to the device roots Orchard trusts (Apple's, or the sandbox's). */
export interface MachineInfoTrust {
  /** False when no anchors are configured at all: enrollment cannot verify anyone and refuses. */
  readonly configured: boolean;
  check(
    signer: X509Certificate,
    intermediates: readonly X509Certificate[],
    now: Date,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>;
}
