import { ValidationError } from './errors.js';

export const NAME_MAX_LENGTH = 200;

export interface NormalisedName {
  /** As the user typed it, trimmed, with inner runs of whitespace kept. */
  readonly name: string;
  /** What uniqueness is judged on: NFKC, case-folded, inner whitespace collapsed. */
  readonly key: string;
}

/**
 * "Acme  Corp", "acme corp" and "ＡＣＭＥ Corp" are one customer to a technician scanning a
 * list, so they are one name to the database too.
 */
export function normaliseName(raw: unknown, what: string): NormalisedName {
  if (typeof raw !== 'string') throw new ValidationError(`The ${what} name must be text.`, 'name');
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) throw new ValidationError(`Enter a ${what} name.`, 'name');
  if ([...name].length > NAME_MAX_LENGTH) {
    throw new ValidationError(`The ${what} name is too long: use at most ${NAME_MAX_LENGTH} characters.`, 'name');
  }
  // Control characters make names that look identical but are not, and break CSV exports.
  if (/\p{Cc}/u.test(name)) throw new ValidationError(`The ${what} name cannot contain control characters.`, 'name');
  const key = name.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ');
  return { name, key };
}
