import { ValidationError } from './errors.js';

export const NAME_MAX_LENGTH = 200;

export interface NormalisedName {
  /** As the user typed it, trimmed, with inner runs of whitespace kept. */
  readonly name: string;
  /** What uniqueness is judged on: NFKC, case-folded, inner whitespace collapsed. */
  readonly key: string;
}

/**
 * Characters no name may hold, because they cannot be seen: controls (C0, DEL, C1, which also
 * break CSV exports), format
 * characters (zero-width space, joiners and non-joiners, bidi marks, embeddings, overrides
 * and isolates, word joiner, BOM, soft hyphen, tags), the other default-ignorable code points
 * (Hangul fillers, combining grapheme joiner) and line or paragraph separators. With any of
 * them "\u200bBravo Corp" stands in the list beside "Bravo Corp" looking the same, and a
 * right-to-left override makes a name read as another. The cost: Persian and Indic
 * spellings that need ZWNJ, and emoji joined by ZWJ, are refused too; a name is what a
 * technician picks from a list, and telling two apart matters more.
 *
 * Variation selectors are the exception where they do something: phones type U+FE0F after
 * many emoji, and Japanese names pick a kanji's glyph with one. After anything else (a
 * Latin letter) they are as invisible as the rest and refused.
 */
const INVISIBLE =
  /(?<![\p{Emoji}\p{Ideographic}\p{Script=Mongolian}])\p{Variation_Selector}|(?!\p{Variation_Selector})[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/u;

/** Refuses a name holding a character that cannot be seen, saying which and where, so it can be retyped. */
export function refuseInvisibleCharacters(name: string, what: string, field = 'name'): void {
  const match = INVISIBLE.exec(name);
  if (match === null) return;
  const codePoint = match[0].codePointAt(0) ?? 0;
  const position = [...name.slice(0, match.index)].length + 1;
  const kind = /\p{Cc}/u.test(match[0]) ? 'a control character' : 'an invisible character';
  throw new ValidationError(
    `The ${what} name contains ${kind} (U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}) at position ${position}. Type the name again rather than pasting it.`,
    field,
  );
}

/**
 * "Acme  Corp", "acme corp" and "ＡＣＭＥ Corp" are one customer to a technician scanning a
 * list, so they are one name to the database too.
 */
export function normaliseName(raw: unknown, what: string): NormalisedName {
  if (typeof raw !== 'string') throw new ValidationError(`The ${what} name must be text.`, 'name');
  // NFC first: "é" typed on a Mac (e + U+0301) and on Windows (U+00E9) look the same, so they
  // are stored the same, and the 200-character limit counts what the user sees.
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) throw new ValidationError(`Enter a ${what} name.`, 'name');
  if ([...name].length > NAME_MAX_LENGTH) {
    throw new ValidationError(`The ${what} name is too long: use at most ${NAME_MAX_LENGTH} characters.`, 'name');
  }
  refuseInvisibleCharacters(name, what);
  const key = name.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ');
  return { name, key };
}
