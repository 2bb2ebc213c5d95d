/**
 * Language and region pickers for the enrollment profile, named by the browser (Intl.DisplayNames)
 * so no list of names ships with Orchard. Apple takes ISO 639-1 language and ISO 3166-1 alpha-2
 * region codes.
 */
export interface CodeOption {
  value: string;
  label: string;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Codes ICU names that are not countries or territories a device is set up in. */
const NOT_REGIONS = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'XA', 'XB', 'AA', 'QM', 'QN', 'QZ', 'XX']);

function twoLetterCodes(): string[] {
  const codes: string[] = [];
  for (const a of LETTERS) for (const b of LETTERS) codes.push(a + b);
  return codes;
}

function named(type: 'language' | 'region', codes: string[]): CodeOption[] {
  let names: Intl.DisplayNames;
  try {
    names = new Intl.DisplayNames(['en'], { type, fallback: 'none' });
  } catch {
    return [];
  }
  const options: CodeOption[] = [];
  for (const code of codes) {
    let name: string | undefined;
    try {
      name = names.of(code);
    } catch {
      name = undefined;
    }
    if (name && name.toLowerCase() !== code.toLowerCase() && isCanonical(type, code)) {
      options.push({ value: code, label: `${name} (${code})` });
    }
  }
  return options.sort((a, b) => a.label.localeCompare(b.label));
}

/** Drops deprecated aliases (iw for he, UK for GB, ZR…) that the browser still names. */
function isCanonical(type: 'language' | 'region', code: string): boolean {
  const tag = type === 'language' ? code : `und-${code}`;
  try {
    return Intl.getCanonicalLocales(tag)[0] === tag;
  } catch {
    return false;
  }
}

let languages: CodeOption[] | null = null;
let regions: CodeOption[] | null = null;

export function languageOptions(current: string | null): CodeOption[] {
  languages ??= named('language', twoLetterCodes());
  return withCurrent(languages, current);
}

export function regionOptions(current: string | null): CodeOption[] {
  regions ??= named(
    'region',
    twoLetterCodes()
      .map((code) => code.toUpperCase())
      .filter((code) => !NOT_REGIONS.has(code)),
  );
  return withCurrent(regions, current);
}

/** A saved code the browser cannot name is still offered, so saving does not drop it. */
function withCurrent(options: CodeOption[], current: string | null): CodeOption[] {
  if (!current || options.some((option) => option.value === current)) return options;
  return [{ value: current, label: current }, ...options];
}
