import { readFile } from 'node:fs/promises';
import type { MachineInfoTrust } from '../domain/enrollment/machine-info-trust.js';
import { TrustAnchors, verifyChain } from '../mdm/pki/trust.js';

export interface DeviceTrustSources {
  /** ORCHARD_DEVICE_TRUST_ANCHORS: a PEM bundle. */
  readonly file: string | null;
  /** Apple's device roots shipped with Orchard, when there are any. */
  readonly builtIn: readonly string[];
  /** In sandbox mode: the sandbox's device CA, read when first needed. */
  readonly sandboxCa?: () => Promise<string>;
}

/**
 * Whom Orchard believes about MachineInfo: the configured bundle, or Apple's roots built in,
 * plus the sandbox's device CA in sandbox mode. Anchors are read once, on first use, and a
 * bundle that cannot be read fails every enrollment with the reason (and is retried).
 */
export function machineInfoTrust(sources: DeviceTrustSources): MachineInfoTrust {
  let anchors: Promise<TrustAnchors> | undefined;
  const load = async (): Promise<TrustAnchors> => {
    const pems = [...sources.builtIn];
    if (sources.file !== null) pems.push(await readFile(sources.file, 'utf8'));
    if (sources.sandboxCa !== undefined) pems.push(await sources.sandboxCa());
    return TrustAnchors.fromPem(pems.join('\n'));
  };
  return async (signer, intermediates, now) => {
    if (anchors === undefined) {
      anchors = load();
      anchors.catch(() => (anchors = undefined));
    }
    let loaded: TrustAnchors;
    try {
      loaded = await anchors;
    } catch (error) {
      return { ok: false, reason: `the device trust anchors cannot be read: ${(error as Error).message}` };
    }
    const result = verifyChain(signer, intermediates, loaded, now);
    return result.ok ? { ok: true } : { ok: false, reason: result.reason };
  };
}
