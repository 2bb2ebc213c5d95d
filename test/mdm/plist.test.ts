// Orchard's plist reader (src/mdm/plist.ts) against the `plist` package as the independent
// party: what `plist` writes, Orchard reads exactly as `plist` reads it back; what Orchard
// writes, `plist` reads. Damaged, hostile and oversized documents are refused with a
// PlistError, quickly: nothing else is thrown and nothing hangs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build, buildBinary, parse, type PlistValue as ForeignValue } from 'plist';
import { PlistError, buildPlist, parsePlist, parsePlistDict, type PlistValue } from '../../src/mdm/plist.js';
import { prng } from '../helpers/prng.js';

/** `plist` hands back data as Uint8Array; Orchard as Buffer. Compare the values, not the classes. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { data: Buffer.from(value).toString('base64') };
  if (value instanceof Date) return { date: value.toISOString() };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

function refused(input: string | Uint8Array, pattern?: RegExp): void {
  assert.throws(
    () => parsePlist(typeof input === 'string' ? Buffer.from(input, 'utf8') : input),
    (error: unknown) => {
      assert.ok(error instanceof PlistError, `a PlistError, not ${String(error)}`);
      assert.equal(error.code, 'PLIST_MALFORMED');
      if (pattern !== undefined) assert.match(error.message, pattern);
      return true;
    },
  );
}

const doc = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">${inner}</plist>\n`;

/** A random plist value of bounded size, with the characters devices put in names. */
function randomValue(random: () => number, depth = 0): ForeignValue {
  const int = (n: number) => Math.floor(random() * n);
  const alphabet = ['a', 'Z', '0', ' ', '&', '<', '>', '"', "'", 'é', '😀', '\t', '\n', ']]>', '-->', 'ü', '中'];
  const text = () => Array.from({ length: int(12) }, () => alphabet[int(alphabet.length)]).join('');
  switch (depth > 4 ? int(6) : int(8)) {
    case 0:
      return text();
    case 1:
      return int(2) === 0 ? int(1_000_000) - 500_000 : Number.MAX_SAFE_INTEGER - int(1000);
    case 2:
      return (int(2_000_000) - 1_000_000) / 64;
    case 3:
      return int(2) === 0;
    case 4:
      return new Date(Date.UTC(2001 + int(40), int(12), 1 + int(28), int(24), int(60), int(60)));
    case 5:
      return Uint8Array.from({ length: int(40) }, () => int(256));
    case 6:
      return Array.from({ length: int(5) }, () => randomValue(random, depth + 1));
    default: {
      const dict: Record<string, ForeignValue> = {};
      for (let i = int(5); i > 0; i--) dict[`${text()}${i}`] = randomValue(random, depth + 1);
      return dict;
    }
  }
}

describe('reading what others write', () => {
  test('every value the plist package writes as XML is read exactly as the plist package reads it', () => {
    const random = prng(0x5eed);
    for (let i = 0; i < 400; i++) {
      const value = randomValue(random);
      const xml = build(value);
      assert.deepEqual(normalize(parsePlist(Buffer.from(xml))), normalize(parse(xml)), `case ${i}: ${xml}`);
    }
  });

  test('every value the plist package writes as a binary plist is read as the same value', () => {
    const random = prng(0xb1);
    for (let i = 0; i < 400; i++) {
      const value = randomValue(random);
      const binary = buildBinary(value);
      assert.equal(Buffer.from(binary.subarray(0, 8)).toString('latin1'), 'bplist00');
      assert.deepEqual(normalize(parsePlist(binary)), normalize(parse(build(value))), `case ${i}`);
    }
  });

  test('what Orchard writes, the plist package reads back unchanged', () => {
    const value: PlistValue = {
      CommandUUID: 'A1B2',
      Command: { RequestType: 'DeviceInformation', Queries: ['DeviceName', 'OSVersion'] },
      Escaped: '<&>"\'',
      Data: Buffer.from([0, 1, 2, 254, 255]),
      When: new Date('2026-01-02T03:04:05Z'),
      Count: 42,
      Ratio: 0.5,
      Flag: false,
    };
    assert.deepEqual(normalize(parse(buildPlist(value))), normalize(value));
  });

  test('Apple’s own layout reads: declaration, DOCTYPE, comments, CDATA, character references, CRLF line ends', () => {
    const xml = doc(
      '\r\n<!-- a comment --><dict>\r\n\t<key>Name</key>\r\n\t<string>A&amp;B &#x1F600; &#233;<![CDATA[<raw & text>]]><!-- inside --></string>' +
        '<key>Lines</key><string>one\r\ntwo\rthree</string>' +
        '<key>Empty</key><string/><key>Nothing</key><dict/><key>None</key><array/>' +
        '<key>Int</key><integer> -17 </integer><key>Real</key><real>1.5e3</real><key>NaN</key><real>nan</real>' +
        '<key>Yes</key><true/><key>No</key><false></false>' +
        '<key>Date</key><date>2026-06-01T12:00:00Z</date>' +
        '<key>Data</key><data>\n  aGVs\n  bG8=\n</data></dict>\r\n<!-- trailing -->',
    );
    const value = parsePlistDict(Buffer.from(xml));
    assert.equal(value['Name'], 'A&B 😀 é<raw & text>');
    assert.equal(value['Lines'], 'one\ntwo\nthree');
    assert.equal(value['Empty'], '');
    assert.deepEqual(value['Nothing'], {});
    assert.deepEqual(value['None'], []);
    assert.equal(value['Int'], -17);
    assert.equal(value['Real'], 1500);
    assert.ok(Number.isNaN(value['NaN']));
    assert.equal(value['Yes'], true);
    assert.equal(value['No'], false);
    assert.equal((value['Date'] as Date).toISOString(), '2026-06-01T12:00:00.000Z');
    assert.equal((value['Data'] as Buffer).toString(), 'hello');
    // A byte order mark, as some editors write it, is not content.
    assert.deepEqual(parsePlist(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc('<true/>'))])), true);
  });

  test('a "__proto__" key is kept as data and pollutes no prototype', () => {
    const value = parsePlistDict(
      Buffer.from(doc('<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>')),
    );
    assert.ok(Object.hasOwn(value, '__proto__'));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
  });
});

describe('refusing what is not a property list', () => {
  const cases: Array<[string, string | Uint8Array, RegExp?]> = [
    ['empty input', '', /no root element/],
    ['plain text', 'hello', /stray text/],
    ['HTML', '<html><body/></html>', /root element is not <plist>/],
    ['an empty <plist>', doc(''), /exactly one value/],
    ['a self-closed <plist/>', '<plist/>', /exactly one value/],
    ['two values', doc('<true/><false/>'), /exactly one value/],
    ['stray text', doc('<dict>hello<key>a</key><true/></dict>'), /stray text/],
    ['an unknown element', doc('<dict><key>a</key><null/></dict>'), /not a property list type/],
    ['a value without a key', doc('<dict><string>a</string></dict>'), /where a <key> belongs/],
    ['a key without a value', doc('<dict><key>a</key></dict>'), /key without a value/],
    ['an element inside a string', doc('<string>a<b/></string>'), /holds an element/],
    ['mismatched tags', doc('<dict><key>a</key><string>x</dict></string></dict>'), /closed by/],
    ['an unclosed document', '<plist><dict><key>a</key><string>x</string>', /expected|not closed/],
    ['content after </plist>', `${doc('<true/>')}<plist/>`, /after <\/plist>/],
    ['an undefined entity', doc('<string>&nbsp;</string>'), /not a defined entity/],
    ['a bare ampersand', doc('<string>a & b</string>'), /starts no reference/],
    [
      'entity declarations (billion laughs)',
      '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><plist><string>&b;</string></plist>',
      /DOCTYPE with declarations/,
    ],
    [
      'an external entity',
      '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist><string>&x;</string></plist>',
      /DOCTYPE with declarations/,
    ],
    ['a NUL character reference', doc('<string>&#0;</string>'), /forbids/],
    ['a raw NUL byte', doc('<string>a\u0000b</string>'), /forbids/],
    ['a lone surrogate reference', doc('<string>&#xD800;</string>'), /forbids/],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from(doc('<string>')), Buffer.from([0xff, 0xfe])]), /not UTF-8/],
    ['an integer with letters', doc('<integer>12a</integer>'), /not an integer/],
    ['an integer of 20 digits', doc('<integer>99999999999999999999</integer>'), /not an integer/],
    ['an empty real', doc('<real></real>'), /not a real/],
    ['a hexadecimal real', doc('<real>0x10</real>'), /not a real/],
    ['a date that is not one', doc('<date>yesterday</date>'), /not an ISO 8601 date/],
    ['data that is not base64', doc('<data>!!!</data>'), /not base64/],
    ['text in <true>', doc('<true>yes</true>'), /holds text/],
    ['an unquoted attribute', '<plist version=1.0><true/></plist>', /not quoted/],
    ['an unclosed comment', doc('<!-- <true/>'), /comment is not closed/],
    ['an unclosed CDATA section', doc('<string><![CDATA[abc</string>'), /CDATA section is not closed/],
    ['a binary plist cut short', Buffer.from('bplist00abc'), /too short/],
    ['a non-dictionary root where a dictionary is wanted', doc('<array/>')],
  ];
  for (const [name, input, pattern] of cases) {
    test(`${name} is refused with PLIST_MALFORMED`, () => {
      if (name.startsWith('a non-dictionary')) {
        assert.throws(() => parsePlistDict(Buffer.from(input as string)), PlistError);
        return;
      }
      refused(input, pattern);
    });
  }
});

/** A bplist00 whose object i is an array of `fanout` references to object i+1; the last is the int 1. */
function fanOutBinary(levels: number, fanout: number): Buffer {
  const objects: Buffer[] = [];
  for (let i = 0; i < levels; i++) objects.push(Buffer.from([0xa0 | fanout, ...Array<number>(fanout).fill(i + 1)]));
  objects.push(Buffer.from([0x10, 1]));
  return binaryFile(objects, 0);
}

function binaryFile(objects: readonly Buffer[], top: number): Buffer {
  const offsets: number[] = [];
  let at = 8;
  for (const object of objects) {
    offsets.push(at);
    at += object.length;
  }
  const table = Buffer.alloc(offsets.length * 2);
  offsets.forEach((offset, i) => table.writeUInt16BE(offset, i * 2));
  const trailer = Buffer.alloc(32);
  trailer[6] = 2;
  trailer[7] = 1;
  trailer.writeBigUInt64BE(BigInt(objects.length), 8);
  trailer.writeBigUInt64BE(BigInt(top), 16);
  trailer.writeBigUInt64BE(BigInt(at), 24);
  return Buffer.concat([Buffer.from('bplist00'), ...objects, table, trailer]);
}

describe('bounded work on hostile input', () => {
  const quickly = (ms: number, what: () => void) => {
    const started = performance.now();
    what();
    const took = performance.now() - started;
    assert.ok(took < ms, `took ${took.toFixed(0)} ms`);
  };

  test('a 160-byte binary plist whose references fan out 2^24 times is refused at once, not walked', () => {
    const bomb = fanOutBinary(24, 2);
    assert.ok(bomb.length < 200);
    quickly(1000, () => refused(bomb, /too many object references/));
    // The same shape, shallow, is an honest value.
    assert.deepEqual(parsePlist(fanOutBinary(3, 2)), [
      [
        [1, 1],
        [1, 1],
      ],
      [
        [1, 1],
        [1, 1],
      ],
    ]);
  });

  test('a binary plist that refers to itself is refused at the nesting limit', () => {
    refused(binaryFile([Buffer.from([0xa1, 0x00])], 0), /nested deeper than 32/);
  });

  test('binary lengths and offsets that point outside the file are refused before anything is read', () => {
    // A data object claiming 2^40 bytes.
    refused(binaryFile([Buffer.from([0x4f, 0x13, 0, 0, 0x01, 0, 0, 0, 0, 0])], 0), /runs past the end/);
    // A reference to object 7 of 1.
    refused(binaryFile([Buffer.from([0xa1, 0x07])], 0), /past the last object/);
    // A NUL inside a string, which neither XML nor PostgreSQL text can hold.
    refused(binaryFile([Buffer.from([0x53, 0x61, 0x00, 0x62])], 0), /forbids/);
    // A keyed-archive UID, which has no XML plist form.
    refused(binaryFile([Buffer.from([0x80, 0x01])], 0), /not a property list type/);
  });

  test('a document nested 200,000 deep is refused at 32 levels without reading the rest', () => {
    const deep = `<plist>${'<array>'.repeat(200_000)}${'</array>'.repeat(200_000)}</plist>`;
    quickly(1000, () => refused(deep, /nested deeper than 32 levels/));
    const fine = `<plist>${'<array>'.repeat(32)}${'</array>'.repeat(32)}</plist>`;
    assert.ok(Array.isArray(parsePlist(Buffer.from(fine))));
  });

  test('a 16 MiB document of a million elements is read in seconds, not minutes', () => {
    const big = Buffer.from(doc(`<array>${'<string>x</string>'.repeat(1_000_000)}</array>`));
    assert.ok(big.length > 16_000_000);
    quickly(10_000, () => assert.equal((parsePlist(big) as unknown[]).length, 1_000_000));
  });

  test('thousands of damaged documents, XML and binary, give a value or a PlistError and nothing else', () => {
    const random = prng(0xdead);
    const int = (n: number) => Math.floor(random() * n);
    const seeds = [
      Buffer.from(build({ UDID: 'X', Status: 'Idle', N: [1, 2, { a: true }], D: Uint8Array.from([1, 2]) })),
      Buffer.from(buildBinary({ UDID: 'X', Status: 'Idle', N: [1, 2, { a: true }], D: Uint8Array.from([1, 2]) })),
    ];
    for (let i = 0; i < 4000; i++) {
      const seed = seeds[i % 2] as Buffer;
      const bytes = Buffer.from(seed);
      switch (int(4)) {
        case 0:
          for (let flips = 1 + int(4); flips > 0; flips--) {
            const at = int(bytes.length);
            bytes[at] = (bytes[at] ?? 0) ^ (1 << int(8));
          }
          break;
        case 1:
          bytes[int(bytes.length)] = int(256);
          break;
        case 2: {
          const cut = int(bytes.length);
          bytes.fill(0, cut);
          break;
        }
        default: {
          const at = int(bytes.length);
          bytes.copyWithin(at, int(bytes.length));
        }
      }
      try {
        parsePlist(bytes);
      } catch (error) {
        assert.ok(error instanceof PlistError, `case ${i}: ${String(error)}`);
      }
    }
  });
});
