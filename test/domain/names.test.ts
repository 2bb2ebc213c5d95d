import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../src/domain/errors.js';
import { normaliseName } from '../../src/domain/names.js';

test('names holding a character that cannot be seen are refused, naming it and where it is', () => {
  const refused: Array<[string, string]> = [
    ['\u200bBravo Corp', 'U+200B'], // zero-width space
    ['Bravo\u200c Corp', 'U+200C'], // zero-width non-joiner
    ['Bravo\u200d Corp', 'U+200D'], // zero-width joiner
    ['Bravo\u200e Corp', 'U+200E'], // left-to-right mark
    ['Bravo\u200f Corp', 'U+200F'], // right-to-left mark
    ['Bravo \u202aCorp', 'U+202A'], // left-to-right embedding
    ['Bravo \u202eproC', 'U+202E'], // right-to-left override
    ['Bravo\u2060 Corp', 'U+2060'], // word joiner
    ['Bravo\u2064 Corp', 'U+2064'], // invisible plus
    ['Bravo \u2066Corp\u2069', 'U+2066'], // left-to-right isolate
    ['Bravo \u2069Corp', 'U+2069'], // pop directional isolate
    ['Bravo\ufeff Corp', 'U+FEFF'], // byte order mark (trim() removes it at either end)
    ['Bra\u00advo Corp', 'U+00AD'], // soft hyphen
    ['Bravo\u034f Corp', 'U+034F'], // combining grapheme joiner
    ['\u3164Bravo Corp', 'U+3164'], // Hangul filler, a "letter" that draws nothing
    ['Bravo\ufe0f Corp', 'U+FE0F'], // a variation selector after a Latin letter changes nothing
    ['Bravo\u{e0041} Corp', 'U+E0041'], // tag character
    ['Bravo\u2028Corp', 'U+2028'], // line separator
    ['Bravo\u0000 Corp', 'U+0000'],
    ['Bravo\tCorp', 'U+0009'],
    ['Bravo\nCorp', 'U+000A'],
    ['Bravo\u007f Corp', 'U+007F'],
    ['Bravo\u0085 Corp', 'U+0085'],
  ];
  for (const [raw, codePoint] of refused) {
    assert.throws(
      () => normaliseName(raw, 'customer'),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.message.startsWith('The customer name contains') &&
        error.message.includes(codePoint),
      JSON.stringify(raw),
    );
  }
  assert.throws(() => normaliseName('Bra\u200bvo', 'site'), /\(U\+200B\) at position 4/);
});

test('names in any script, with accents, emoji and glyph variants, are kept as typed', () => {
  for (const name of [
    'Zoë’s Café',
    'Ünïcödé Straße GmbH',
    'مؤسسة برافو',
    'ברבו בע״מ',
    '株式会社ブラボー',
    '葛\u{e0100}飾 Office', // an ideographic variation selector picks the kanji's glyph
    '❤\ufe0f Team', // U+FE0F asks for the emoji presentation
    'Bravo 🍏 Corp',
  ]) {
    assert.equal(normaliseName(name, 'customer').name, name.normalize('NFC'));
  }
});

test('names that look the same are one name: NFC for what is stored, NFKC and case for the key', () => {
  const composed = normaliseName('Caf\u00e9 Bravo', 'customer');
  const decomposed = normaliseName('Cafe\u0301 Bravo', 'customer');
  assert.equal(decomposed.name, composed.name, 'stored composed, as a Mac and Windows user see it');
  assert.equal(decomposed.key, composed.key);
  assert.equal(normaliseName('ＢＲＡＶＯ  corp', 'customer').key, normaliseName('Bravo Corp', 'customer').key);
});
