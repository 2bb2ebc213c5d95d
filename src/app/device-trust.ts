import { readFile } from 'node:fs/promises';
import type { MachineInfoTrust } from '../domain/enrollment/machine-info-trust.js';
import { TrustAnchors, verifyChain } from '../mdm/pki/trust.js';

export interface DeviceTrustSources {
  /** ORCHARD_DEVICE_TRUST_ANCHORS: a PEM bundle (Apple's device CA roots in production). */
  readonly file: string | null;
  /** In sandbox mode: the sandbox's device CA, read when first needed. */
  readonly sandboxCa?: () => Promise<string>;
}

/**
 * Whom Orchard believes about MachineInfo: the configured bundle, plus the sandbox's device CA
 * in sandbox mode. Anchors are read on first use; a bundle that cannot be read fails each
 * enrollment with the reason, and is read again next time.
 *
 * Validity dates are not checked on chains to the configured bundle: Apple's "Apple iPhone
 * Device CA" expired in 2014 and still issues device identities, and Apple's over-the-air
 * enrollment guide says to ignore the dates. The sandbox's chain is checked in full.
 */
export function machineInfoTrust(sources: DeviceTrustSources): MachineInfoTrust {
  const configured = lazy(async () =>
    sources.file === null ? null : TrustAnchors.fromPem(await readFile(sources.file, 'utf8')),
  );
  const sandbox = lazy(async () =>
    sources.sandboxCa === undefined ? null : TrustAnchors.fromPem(await sources.sandboxCa()),
  );
  return {
    configured: sources.file !== null || sources.sandboxCa !== undefined,
    async check(signer, intermediates, now) {
      let reason = 'no device trust anchors are configured';
      try {
        const apple = await configured();
        if (apple !== null) {
          const result = verifyChain(signer, intermediates, apple, now, { ignoreValidity: true });
          if (result.ok) return { ok: true };
          reason = result.reason;
        }
        const own = await sandbox();
        if (own !== null) {
          const result = verifyChain(signer, intermediates, own, now);
          if (result.ok) return { ok: true };
          reason = result.reason;
        }
      } catch (error) {
        return { ok: false, reason: `the device trust anchors cannot be read: ${(error as Error).message}` };
      }
      return { ok: false, reason };
    },
  };
}

/** One load shared by every caller; a failed load is forgotten so the next caller retries. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      pending = load();
      pending.catch(() => (pending = undefined));
    }
    return pending;
  };
}
