/**
 * What a simulated device says about itself: the facts a real device of that model reports in
 * MachineInfo, Authenticate and DeviceInformation. Everything is derived from the serial (and
 * the model and family Apple's records hold for it), so the same serial always makes the same
 * device: enrolling it twice reports the same name, MACs and OS build.
 *
 * Identifiers, ModelName and OS builds follow Apple's published tables: ProductName is the
 * hardware identifier ("iPhone17,1"), ModelName the product line ("iPhone", "MacBook Pro"),
 * and the OS a build the model really ran.
 */
import { createHash } from 'node:crypto';

export const DEVICE_FAMILIES = ['iPhone', 'iPad', 'Mac', 'AppleTV', 'Vision'] as const;
export type DeviceFamily = (typeof DEVICE_FAMILIES)[number];

export interface SimulatedDevice {
  readonly serial: string;
  readonly udid: string;
  readonly family: DeviceFamily;
  /** Apple's marketing name, e.g. "iPhone 16 Pro". */
  readonly marketingName: string;
  /** The hardware identifier: MachineInfo PRODUCT, ProductName ("iPhone17,1", "Mac15,6"). */
  readonly productName: string;
  /** ModelName: "iPhone", "iPad", "MacBook Pro", "Apple TV". */
  readonly modelName: string;
  /** Model: the order number on iOS-family devices ("MYMJ3LL/A"), the identifier on a Mac. */
  readonly model: string;
  readonly deviceName: string;
  readonly osVersion: string;
  readonly buildVersion: string;
  /** Only on models with a cellular modem. */
  readonly imei: string | null;
  readonly wifiMac: string;
  readonly bluetoothMac: string;
  /** In GB, as DeviceInformation reports it (the formatted capacity, not the marketing one). */
  readonly deviceCapacity: number;
  readonly availableDeviceCapacity: number;
  readonly language: string;
  readonly locale: string;
}

interface ModelEntry {
  readonly family: DeviceFamily;
  readonly marketingName: string;
  readonly productName: string;
  readonly modelName: string;
  readonly cellular: boolean;
  readonly capacityGb: number;
}

// The sandbox's catalog (src/sandbox/device-catalog.ts) by marketing name, with Apple's
// identifiers for each (support.apple.com "Identify your iPhone/iPad/Mac model").
const MODELS: readonly ModelEntry[] = [
  entry('iPhone', 'iPhone 16 Pro', 'iPhone17,1', 'iPhone', true, 256),
  entry('iPhone', 'iPhone 16', 'iPhone17,3', 'iPhone', true, 128),
  entry('iPhone', 'iPhone 15 Pro', 'iPhone16,1', 'iPhone', true, 256),
  entry('iPhone', 'iPhone 15', 'iPhone15,4', 'iPhone', true, 128),
  entry('iPhone', 'iPhone 14', 'iPhone14,7', 'iPhone', true, 128),
  entry('iPhone', 'iPhone SE (3rd generation)', 'iPhone14,6', 'iPhone', true, 64),
  entry('iPhone', 'iPhone 14 Pro', 'iPhone15,2', 'iPhone', true, 256),
  entry('iPad', 'iPad Pro 13-inch (M4)', 'iPad16,5', 'iPad', false, 256),
  entry('iPad', 'iPad Air 11-inch (M2)', 'iPad14,8', 'iPad', false, 128),
  entry('iPad', 'iPad (10th generation)', 'iPad13,18', 'iPad', false, 64),
  entry('iPad', 'iPad mini (A17 Pro)', 'iPad16,1', 'iPad', false, 128),
  entry('Mac', 'MacBook Air (M3, 13-inch)', 'Mac15,12', 'MacBook Air', false, 256),
  entry('Mac', 'MacBook Air (M2, 15-inch)', 'Mac14,15', 'MacBook Air', false, 256),
  entry('Mac', 'MacBook Pro (14-inch, M3 Pro)', 'Mac15,6', 'MacBook Pro', false, 512),
  entry('Mac', 'MacBook Pro (16-inch, M3 Max)', 'Mac15,9', 'MacBook Pro', false, 1000),
  entry('Mac', 'MacBook Pro (13-inch, M2)', 'Mac14,7', 'MacBook Pro', false, 256),
  entry('Mac', 'MacBook Air (M2)', 'Mac14,2', 'MacBook Air', false, 256),
  entry('Mac', 'iMac (24-inch, M3)', 'Mac15,4', 'iMac', false, 256),
  entry('Mac', 'Mac mini (M2)', 'Mac14,3', 'Mac mini', false, 256),
  entry('Mac', 'Mac Studio (M2 Max)', 'Mac14,13', 'Mac Studio', false, 512),
  entry('AppleTV', 'Apple TV 4K (3rd generation)', 'AppleTV14,1', 'Apple TV', false, 64),
  entry('AppleTV', 'Apple TV HD', 'AppleTV5,3', 'Apple TV', false, 32),
  entry('Vision', 'Apple Vision Pro', 'RealityDevice14,1', 'Apple Vision Pro', false, 256),
];

// When Apple's record names a model this table does not know: one typical model per family.
const FAMILY_DEFAULT: Readonly<Record<DeviceFamily, string>> = {
  iPhone: 'iPhone 14 Pro',
  iPad: 'iPad (10th generation)',
  Mac: 'MacBook Air (M2)',
  AppleTV: 'Apple TV 4K (3rd generation)',
  Vision: 'Apple Vision Pro',
};

// Releases every model above runs (each family's current major and the one before where the
// oldest model supports it), with Apple's build numbers.
const RELEASES: Readonly<Record<DeviceFamily, readonly (readonly [string, string])[]>> = {
  iPhone: [
    ['18.1', '22B83'],
    ['18.2', '22C152'],
    ['18.3.1', '22D72'],
    ['18.4', '22E240'],
  ],
  iPad: [
    ['18.1', '22B83'],
    ['18.2', '22C152'],
    ['18.3.1', '22D72'],
    ['18.4', '22E240'],
  ],
  Mac: [
    ['15.1', '24B83'],
    ['15.2', '24C101'],
    ['15.3.1', '24D70'],
    ['15.4', '24E248'],
  ],
  AppleTV: [
    ['18.1', '22J580'],
    ['18.2', '22K155'],
  ],
  Vision: [
    ['2.1', '22N580'],
    ['2.2', '22O233'],
  ],
};

const OS_TO_FAMILY: Readonly<Record<string, DeviceFamily>> = {
  ios: 'iPhone',
  ipados: 'iPad',
  osx: 'Mac',
  macos: 'Mac',
  tvos: 'AppleTV',
  visionos: 'Vision',
};

const FIRST_NAMES = [
  'Anna',
  'Ben',
  'Chloé',
  'David',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kofi',
  'Lena',
];
// Apple's registered OUIs (IEEE MA-L), so a MAC reads like an Apple interface.
const APPLE_OUIS = ['f0:18:98', 'a4:83:e7', '3c:22:fb', 'bc:d0:74', '14:7d:da', '88:66:5a'];
// The first six IMEI digits (TAC) of iPhone models; the rest is the unit, plus a Luhn digit.
const IPHONE_TAC = '356789';

export interface AppleRecord {
  /** Apple's marketing model name as DEP reports it ("iPhone 16 Pro"); free text. */
  readonly model?: string | null;
  /** DEP's device_family ("iPhone", "iPad", "Mac", "AppleTV", "Vision"). */
  readonly deviceFamily?: string | null;
  /** DEP's os ("iOS", "iPadOS", "OSX", "tvOS", "visionOS"). */
  readonly os?: string | null;
  /** Apple's order description, e.g. "IPHONE 16 PRO BLACK TITANIUM 256GB-USA"; gives the capacity. */
  readonly description?: string | null;
  /** The UDID Apple's factory records hold; derived from the serial when absent. */
  readonly udid?: string | null;
}

/** The device with this serial, as Apple's record describes it. */
export function simulatedDevice(serial: string, record: AppleRecord = {}): SimulatedDevice {
  const serialUpper = serial.toUpperCase();
  const seed = (label: string) => createHash('sha256').update(`${label}:${serialUpper}`).digest();
  const family = familyOf(record);
  const model = modelEntry(record.model ?? null, family);
  const [osVersion, buildVersion] = pick(RELEASES[model.family], seed('os'));
  const capacityGb = capacityOf(record.description ?? null) ?? model.capacityGb;
  // Formatted capacity as the OS reports it: marketing gigabytes (10^9) shown in GiB, minus
  // the system volume.
  const deviceCapacity = round2((capacityGb * 1e9) / 2 ** 30 - 8);
  const used = 6 + (seed('used').readUInt16BE(0) % 400) / 10;
  return {
    serial: serialUpper,
    udid: record.udid ?? udidOf(model.family, seed('udid')),
    family: model.family,
    marketingName: model.marketingName,
    productName: model.productName,
    modelName: model.modelName,
    model: model.family === 'Mac' ? model.productName : orderNumber(seed('order')),
    deviceName: deviceNameOf(serialUpper, model.modelName, seed('name')),
    osVersion,
    buildVersion,
    imei: model.cellular ? imeiOf(seed('imei')) : null,
    wifiMac: macOf(seed('wifi')),
    bluetoothMac: macOf(seed('bluetooth')),
    deviceCapacity,
    availableDeviceCapacity: round2(Math.max(1, deviceCapacity - used)),
    language: 'en',
    locale: 'en_US',
  };
}

function entry(
  family: DeviceFamily,
  marketingName: string,
  productName: string,
  modelName: string,
  cellular: boolean,
  capacityGb: number,
): ModelEntry {
  return { family, marketingName, productName, modelName, cellular, capacityGb };
}

function familyOf(record: AppleRecord): DeviceFamily | null {
  const named = DEVICE_FAMILIES.find((f) => f.toLowerCase() === (record.deviceFamily ?? '').toLowerCase());
  if (named !== undefined) return named;
  return OS_TO_FAMILY[(record.os ?? '').toLowerCase()] ?? null;
}

function modelEntry(marketingName: string | null, family: DeviceFamily | null): ModelEntry {
  const wanted = (marketingName ?? '').trim().toLowerCase();
  const known = MODELS.find((m) => m.marketingName.toLowerCase() === wanted);
  if (known !== undefined && (family === null || known.family === family)) return known;
  const chosen = family ?? familyOfName(wanted) ?? 'iPhone';
  const fallback = MODELS.find((m) => m.marketingName === FAMILY_DEFAULT[chosen]);
  if (fallback === undefined) throw new Error(`no default model for ${chosen}`);
  return fallback;
}

/** A free-text model name's family ("MacBook Neo" → Mac), for records this table predates. */
function familyOfName(name: string): DeviceFamily | null {
  if (name.startsWith('iphone')) return 'iPhone';
  if (name.startsWith('ipad')) return 'iPad';
  if (/^(mac|imac)/.test(name)) return 'Mac';
  if (name.startsWith('apple tv')) return 'AppleTV';
  if (name.includes('vision')) return 'Vision';
  return null;
}

function capacityOf(description: string | null): number | null {
  const match = /(\d+)\s*(GB|TB)/i.exec(description ?? '');
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return Number(match[1]) * (match[2].toUpperCase() === 'TB' ? 1000 : 1);
}

function pick<T>(list: readonly T[], seed: Buffer): T {
  const value = list[seed.readUInt32BE(0) % list.length];
  if (value === undefined) throw new Error('empty list');
  return value;
}

/**
 * Half the fleet carries a person's name ("Anna's iPhone", what Setup Assistant suggests),
 * the rest an MSP naming scheme ("IPHONE-4Q6NW").
 */
function deviceNameOf(serial: string, modelName: string, seed: Buffer): string {
  if ((seed[4] ?? 0) % 2 === 0) return `${pick(FIRST_NAMES, seed)}’s ${modelName}`;
  const prefix = modelName.replace(/\s+/g, '').toUpperCase();
  return `${prefix}-${serial.slice(-5)}`;
}

/**
 * UDIDs since the A12 / Apple silicon: the chip id, a dash, 16 hex digits of the ECID
 * ("00008120-001A2D3E0C23401E"). Older models (Apple TV HD) used 40 hex digits.
 */
function udidOf(family: DeviceFamily, seed: Buffer): string {
  const chip = { iPhone: '00008120', iPad: '00008103', Mac: '00008112', AppleTV: '00008110', Vision: '00008112' }[
    family
  ];
  return `${chip}-${seed.subarray(0, 8).toString('hex').toUpperCase()}`;
}

function orderNumber(seed: Buffer): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  let part = 'M';
  for (let i = 0; i < 4; i += 1) part += alphabet[(seed[i] ?? 0) % alphabet.length];
  return `${part}LL/A`;
}

function macOf(seed: Buffer): string {
  const tail = [...seed.subarray(1, 4)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${pick(APPLE_OUIS, seed)}:${tail}`;
}

/** 14 digits and the Luhn check digit (3GPP TS 23.003 §6.2.1, Annex B). */
function imeiOf(seed: Buffer): string {
  let body = IPHONE_TAC;
  for (let i = 0; body.length < 14; i += 1) body += String((seed[i] ?? 0) % 10);
  return body + luhnDigit(body);
}

export function luhnDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    // Doubling starts at the rightmost digit of the body, the one next to the check digit.
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
