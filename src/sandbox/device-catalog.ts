/**
 * Realistic devices for the sandbox organisation: models, colours and order descriptions per
 * family, and 12-character serial numbers in Apple's pre-2021 layout
 * (location 3 · year 1 · week 1 · unit 3 · model 4) over Apple's alphabet, which leaves out
 * the letters O and I so serials read unambiguously off a sticker.
 */
import { randomBytes } from 'node:crypto';

export const DEVICE_FAMILIES = ['iPhone', 'iPad', 'Mac', 'AppleTV', 'Vision'] as const;
export type DeviceFamily = (typeof DEVICE_FAMILIES)[number];

/** `os` as DEP reports it: Apple still says "OSX" for every Mac. */
const OS_OF: Readonly<Record<DeviceFamily, string>> = {
  iPhone: 'iOS',
  iPad: 'iPadOS',
  Mac: 'OSX',
  AppleTV: 'tvOS',
  Vision: 'visionOS',
};

export interface CatalogModel {
  readonly family: DeviceFamily;
  readonly model: string;
  readonly colors: readonly string[];
  readonly capacities: readonly string[];
  /** The last four serial characters Apple uses for this model configuration. */
  readonly serialSuffixes: readonly string[];
}

const CATALOG: readonly CatalogModel[] = [
  {
    family: 'iPhone',
    model: 'iPhone 16 Pro',
    colors: ['Desert Titanium', 'Natural Titanium', 'White Titanium', 'Black Titanium'],
    capacities: ['128GB', '256GB', '512GB', '1TB'],
    serialSuffixes: ['Q6NW', 'Q6NX', 'Q6P0'],
  },
  {
    family: 'iPhone',
    model: 'iPhone 16',
    colors: ['Black', 'White', 'Pink', 'Teal', 'Ultramarine'],
    capacities: ['128GB', '256GB', '512GB'],
    serialSuffixes: ['Q6MT', 'Q6MV'],
  },
  {
    family: 'iPhone',
    model: 'iPhone 15 Pro',
    colors: ['Natural Titanium', 'Blue Titanium', 'White Titanium', 'Black Titanium'],
    capacities: ['128GB', '256GB', '512GB', '1TB'],
    serialSuffixes: ['PLJN', 'PLJP', 'PLJQ'],
  },
  {
    family: 'iPhone',
    model: 'iPhone 15',
    colors: ['Black', 'Blue', 'Green', 'Yellow', 'Pink'],
    capacities: ['128GB', '256GB', '512GB'],
    serialSuffixes: ['PLHW', 'PLHX'],
  },
  {
    family: 'iPhone',
    model: 'iPhone 14',
    colors: ['Midnight', 'Starlight', 'Blue', 'Purple', '(PRODUCT)RED'],
    capacities: ['128GB', '256GB'],
    serialSuffixes: ['N72J', 'N72K'],
  },
  {
    family: 'iPhone',
    model: 'iPhone SE (3rd generation)',
    colors: ['Midnight', 'Starlight', '(PRODUCT)RED'],
    capacities: ['64GB', '128GB'],
    serialSuffixes: ['N6XH'],
  },
  {
    family: 'iPad',
    model: 'iPad Pro 13-inch (M4)',
    colors: ['Space Black', 'Silver'],
    capacities: ['256GB', '512GB', '1TB'],
    serialSuffixes: ['Q1GR', 'Q1GT'],
  },
  {
    family: 'iPad',
    model: 'iPad Air 11-inch (M2)',
    colors: ['Space Gray', 'Starlight', 'Purple', 'Blue'],
    capacities: ['128GB', '256GB'],
    serialSuffixes: ['Q1DW', 'Q1DX'],
  },
  {
    family: 'iPad',
    model: 'iPad (10th generation)',
    colors: ['Blue', 'Pink', 'Yellow', 'Silver'],
    capacities: ['64GB', '256GB'],
    serialSuffixes: ['MD6P', 'MD6Q'],
  },
  {
    family: 'iPad',
    model: 'iPad mini (A17 Pro)',
    colors: ['Space Gray', 'Blue', 'Purple', 'Starlight'],
    capacities: ['128GB', '256GB'],
    serialSuffixes: ['Q6CJ'],
  },
  {
    family: 'Mac',
    model: 'MacBook Air (M3, 13-inch)',
    colors: ['Midnight', 'Starlight', 'Space Gray', 'Silver'],
    capacities: ['256GB', '512GB'],
    serialSuffixes: ['QH7W', 'QH7X'],
  },
  {
    family: 'Mac',
    model: 'MacBook Air (M2, 15-inch)',
    colors: ['Midnight', 'Starlight', 'Space Gray', 'Silver'],
    capacities: ['256GB', '512GB'],
    serialSuffixes: ['MTFJ'],
  },
  {
    family: 'Mac',
    model: 'MacBook Pro (14-inch, M3 Pro)',
    colors: ['Space Black', 'Silver'],
    capacities: ['512GB', '1TB'],
    serialSuffixes: ['PW4R', 'PW4T'],
  },
  {
    family: 'Mac',
    model: 'MacBook Pro (16-inch, M3 Max)',
    colors: ['Space Black', 'Silver'],
    capacities: ['1TB', '2TB'],
    serialSuffixes: ['PW6K'],
  },
  {
    family: 'Mac',
    model: 'iMac (24-inch, M3)',
    colors: ['Blue', 'Green', 'Pink', 'Silver', 'Yellow', 'Orange', 'Purple'],
    capacities: ['256GB', '512GB'],
    serialSuffixes: ['PWFM', 'PWFN'],
  },
  {
    family: 'Mac',
    model: 'Mac mini (M2)',
    colors: ['Silver'],
    capacities: ['256GB', '512GB'],
    serialSuffixes: ['PJH6'],
  },
  {
    family: 'Mac',
    model: 'Mac Studio (M2 Max)',
    colors: ['Silver'],
    capacities: ['512GB', '1TB'],
    serialSuffixes: ['PJV1'],
  },
  {
    family: 'AppleTV',
    model: 'Apple TV 4K (3rd generation)',
    colors: ['Black'],
    capacities: ['64GB', '128GB'],
    serialSuffixes: ['M6QC'],
  },
  { family: 'AppleTV', model: 'Apple TV HD', colors: ['Black'], capacities: ['32GB'], serialSuffixes: ['GQ9J'] },
  {
    family: 'Vision',
    model: 'Apple Vision Pro',
    colors: ['Silver'],
    capacities: ['256GB', '512GB', '1TB'],
    serialSuffixes: ['Q7RD'],
  },
];

/** Roughly what an MSP's customers own, for `{count}` without a family. */
const FAMILY_WEIGHTS: ReadonlyArray<readonly [DeviceFamily, number]> = [
  ['iPhone', 45],
  ['iPad', 25],
  ['Mac', 25],
  ['AppleTV', 3],
  ['Vision', 2],
];

// Apple's serial alphabet: digits and capitals without O and I.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
// Year (half-year) and week codes as Apple printed them in the 12-character era.
const YEAR_CODES = 'CDFGHJKLMNPQRSTVWXYZ';
const WEEK_CODES = '123456789CDFGHJKLMNPQRTVWXY';

export const SERIAL_PATTERN = /^[0-9A-Z]{8,14}$/;

export interface CatalogDevice {
  readonly serial: string;
  readonly model: string;
  readonly description: string;
  readonly color: string;
  readonly os: string;
  readonly deviceFamily: DeviceFamily;
}

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** "appletv", "Apple TV", "mac" → the DEP family name; undefined when unknown. */
export function parseFamily(value: string): DeviceFamily | undefined {
  const key = value.replace(/\s+/g, '').toLowerCase();
  return DEVICE_FAMILIES.find((family) => family.toLowerCase() === key);
}

export function findModel(name: string): CatalogModel | undefined {
  const key = name.trim().toLowerCase();
  return CATALOG.find((entry) => entry.model.toLowerCase() === key);
}

export function catalogModels(): readonly CatalogModel[] {
  return CATALOG;
}

/** Cheap random numbers drawn from a refilled buffer: a million devices need ~10 M draws. */
class RandomPool {
  private buffer = randomBytes(0);
  private offset = 0;

  /** An integer in [0, n) for n ≤ 65536 (the tiny modulo bias does not matter here). */
  below(n: number): number {
    if (this.offset + 2 > this.buffer.length) {
      this.buffer = randomBytes(64 * 1024);
      this.offset = 0;
    }
    const value = this.buffer.readUInt16LE(this.offset);
    this.offset += 2;
    return value % n;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

export interface DeviceGeneratorOptions {
  readonly family?: DeviceFamily;
  readonly model?: CatalogModel;
}

export class DeviceGenerator {
  private readonly random = new RandomPool();
  private readonly models: readonly CatalogModel[] | undefined;

  constructor(private readonly options: DeviceGeneratorOptions = {}) {
    if (options.model !== undefined) this.models = [options.model];
    else if (options.family !== undefined) this.models = CATALOG.filter((entry) => entry.family === options.family);
    else this.models = undefined;
  }

  next(serial?: string): CatalogDevice {
    const entry = this.models === undefined ? this.weightedModel() : this.random.pick(this.models);
    const color = this.random.pick(entry.colors);
    const capacity = this.random.pick(entry.capacities);
    return {
      serial: serial ?? this.serialFor(entry),
      model: entry.model,
      // Apple's order descriptions are the marketing line in capitals plus the region SKU.
      description: `${entry.model} ${color} ${capacity}-USA`.toUpperCase(),
      color,
      os: OS_OF[entry.family],
      deviceFamily: entry.family,
    };
  }

  private weightedModel(): CatalogModel {
    let roll = this.random.below(100);
    let family: DeviceFamily = 'iPhone';
    for (const [candidate, weight] of FAMILY_WEIGHTS) {
      if (roll < weight) {
        family = candidate;
        break;
      }
      roll -= weight;
    }
    return this.random.pick(CATALOG.filter((entry) => entry.family === family));
  }

  private serialFor(entry: CatalogModel): string {
    const r = this.random;
    let serial = '';
    for (let i = 0; i < 3; i++) serial += ALPHABET.charAt(r.below(ALPHABET.length)); // factory
    serial += YEAR_CODES.charAt(r.below(YEAR_CODES.length));
    serial += WEEK_CODES.charAt(r.below(WEEK_CODES.length));
    for (let i = 0; i < 3; i++) serial += ALPHABET.charAt(r.below(ALPHABET.length)); // unit
    return serial + r.pick(entry.serialSuffixes);
  }
}
