import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { ValidationError } from '../domain/errors.js';

/**
 * Query strings and path parameters arrive as text, so they are coerced ("50" → 50).
 * JSON bodies are not: a client sending {"name": 42} has a bug worth hearing about, and
 * Fastify's single default compiler would silently store "42".
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}

/**
 * Text a client sends must be storable on both engines. PostgreSQL refuses NUL in text
 * outright (SQLSTATE 22021), so a NUL in an id, a search or a sign-in email that reached a
 * query was a 500 there, and SQLite stored it silently. The other control characters have no
 * place in an id, an email, a search or a cursor either. URLs carry none (C0, DEL, C1); JSON
 * bodies may carry tab, line feed and carriage return, which ordinary multi-line text holds.
 * Domain rules may be stricter: names refuse every control character (domain/names.ts).
 */
const CONTROL_IN = {
  url: /[\u0000-\u001f\u007f-\u009f]/u,
  text: /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u,
} as const;

export interface ControlCharacter {
  /** Where it is, from the value's root: ".name", ".skipSetupItems.0", "" for the value itself. */
  readonly path: string;
  readonly codePoint: number;
  /** In a property name rather than a value. */
  readonly inKey: boolean;
}

/**
 * A control character anywhere in a parsed value: strings, array items, property names
 * and values. Iterative, since a 1 MiB JSON body can nest deeper than the call stack.
 * Bytes (the token upload's raw body) are not text and are left alone.
 */
export function findControlCharacter(value: unknown, kind: keyof typeof CONTROL_IN): ControlCharacter | undefined {
  const pattern = CONTROL_IN[kind];
  const control = (text: string) => pattern.exec(text)?.[0].codePointAt(0);
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === 'string') {
      const codePoint = control(next.value);
      if (codePoint !== undefined) return { path: next.path, codePoint, inKey: false };
    } else if (typeof next.value === 'object' && next.value !== null && !ArrayBuffer.isView(next.value)) {
      for (const [key, item] of Object.entries(next.value)) {
        const codePoint = control(key);
        if (codePoint !== undefined) return { path: next.path, codePoint, inKey: true };
        pending.push({ value: item, path: `${next.path}.${key}` });
      }
    }
  }
  return undefined;
}

function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The refusal for `where` ("querystring", "body", a multipart part) holding a control character. */
export function controlCharacterError(
  where: string,
  found: ControlCharacter,
  field = found.path.slice(1) || where,
): ValidationError {
  const place = `${where}${found.path}`;
  const what = found.inKey ? `${place} has a property name containing` : `${place} contains`;
  return new ValidationError(
    `${what} the control character ${codePointName(found.codePoint)}. Send it without control characters; check how the value was copied or encoded.`,
    field,
  );
}

/**
 * preValidation hook: the one edge check every route in its scope gets without asking,
 * before the route's schema or any database sees the request.
 */
export async function refuseControlCharacters(request: FastifyRequest): Promise<void> {
  const parts = [
    ['params', request.params, 'url'],
    ['querystring', request.query, 'url'],
    ['body', request.body, 'text'],
  ] as const;
  for (const [where, value, kind] of parts) {
    const found = findControlCharacter(value, kind);
    if (found !== undefined) throw controlCharacterError(where, found);
  }
}
