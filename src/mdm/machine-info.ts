/**
 * MachineInfo: what a device says about itself when it asks the enrollment URL for its
 * profile (apple/device-management other/machineinfo.yaml; apple-protocols.md §3.1). The
 * plist arrives inside a CMS SignedData the caller has already verified.
 */
import { flag, optionalString, requiredString } from './plist-fields.js';
import { parsePlistDict } from './plist.js';

export interface MachineInfo {
  readonly udid: string;
  readonly serial: string;
  /** e.g. "iPhone14,2", "Mac14,3". */
  readonly product: string;
  /** The build, e.g. "21E236". */
  readonly version: string;
  /** Sent by iOS 17 / macOS 14 and later. */
  readonly osVersion: string | null;
  readonly imei: string | null;
  readonly meid: string | null;
  readonly language: string | null;
  readonly supplementalBuildVersion: string | null;
  /** The device can install an OS update Orchard asks for before enrolling. */
  readonly canRequestSoftwareUpdate: boolean;
  readonly softwareUpdateDeviceId: string | null;
}

const CODE = 'MACHINE_INFO_INCOMPLETE';

export function parseMachineInfo(plist: Uint8Array): MachineInfo {
  const dict = parsePlistDict(plist);
  return {
    udid: requiredString(dict, 'UDID', CODE),
    serial: requiredString(dict, 'SERIAL', CODE),
    product: requiredString(dict, 'PRODUCT', CODE),
    version: requiredString(dict, 'VERSION', CODE),
    osVersion: optionalString(dict, 'OS_VERSION'),
    imei: optionalString(dict, 'IMEI'),
    meid: optionalString(dict, 'MEID'),
    language: optionalString(dict, 'LANGUAGE'),
    supplementalBuildVersion: optionalString(dict, 'SUPPLEMENTAL_BUILD_VERSION'),
    canRequestSoftwareUpdate: flag(dict, 'MDM_CAN_REQUEST_SOFTWARE_UPDATE'),
    softwareUpdateDeviceId: optionalString(dict, 'SOFTWARE_UPDATE_DEVICE_ID'),
  };
}

export type ApplePlatform = 'iOS' | 'macOS';

/**
 * Which OS a PRODUCT runs, for the minimum-version rule: Macs run macOS, the rest iOS/iPadOS.
 * Every Mac identifier holds "Mac" (Mac14,3, MacBookPro18,1, iMac21,1, Macmini9,1, and
 * VirtualMac2,1 for macOS virtual machines); no iPhone, iPad or iPod identifier does.
 */
export function platformOf(product: string): ApplePlatform {
  return product.includes('Mac') ? 'macOS' : 'iOS';
}

/** Compares dotted versions numerically ("17.10" > "17.9"); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
