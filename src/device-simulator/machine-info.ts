/**
 * The MachineInfo a device POSTs to its profile's `url` (apple/device-management
 * other/machineinfo.yaml; apple-protocols.md §3.1): an XML plist inside a CMS SignedData
 * signed by the device's factory identity, attached content, DER.
 */
import { signData } from '../mdm/pki/cms-sign.js';
import type { Identity } from '../mdm/pki/identity.js';
import { buildPlist, type PlistValue } from '../mdm/plist.js';
import type { SimulatedDevice } from './device-model.js';

export interface MachineInfoOptions {
  /** Say the device can install an OS update the server asks for before enrolling (iOS 17+, macOS 14+). */
  readonly canRequestSoftwareUpdate?: boolean;
}

export function machineInfoPlist(device: SimulatedDevice, options: MachineInfoOptions = {}): string {
  const info: Record<string, PlistValue> = {
    UDID: device.udid,
    SERIAL: device.serial,
    PRODUCT: device.productName,
    // VERSION is the build; OS_VERSION the marketing version (sent since iOS 17 / macOS 14).
    VERSION: device.buildVersion,
    OS_VERSION: device.osVersion,
    LANGUAGE: device.language,
  };
  if (device.imei !== null) info['IMEI'] = device.imei;
  if (options.canRequestSoftwareUpdate === true) info['MDM_CAN_REQUEST_SOFTWARE_UPDATE'] = true;
  return buildPlist(info);
}

/**
 * The request body: MachineInfo signed by the factory identity. A real device sends its
 * certificate chain up to (not including) Apple's root, so the sandbox's device CA goes with it.
 */
export async function signedMachineInfo(o: {
  device: SimulatedDevice;
  factoryIdentity: Identity;
  /** The CA certificate(s) that issued the factory identity, sent along as a device does. */
  chainPem?: readonly string[];
  now: Date;
  options?: MachineInfoOptions;
}): Promise<Buffer> {
  return signData({
    content: Buffer.from(machineInfoPlist(o.device, o.options), 'utf8'),
    signer: o.factoryIdentity,
    detached: false,
    now: o.now,
    extraCertificatesPem: o.chainPem ?? [],
  });
}
