/**
 * The input contract, for every operation /openapi.json describes, so a route added later is
 * covered without touching this file: whatever a client sends (control characters in path
 * parameters, query parameters and every string of a JSON body; malformed JSON; wrong types;
 * bodies that are not objects; huge strings) never answers 5xx, and a NUL anywhere answers 400
 * VALIDATION_FAILED from the edge, before any route or database sees it, on both engines, signed
 * in as admin and not signed in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { TEST_API_KEY, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

interface Operation {
  readonly method: string;
  /** As OpenAPI writes it: /api/v1/customers/{id}. */
  readonly path: string;
  readonly pathParams: string[];
  readonly queryParams: string[];
  /** The JSON body's schema, when the operation takes one. */
  readonly body: Schema | undefined;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const NUL_VALUES = ['\u0000', 'abc\u0000def'];
/** Refused in URLs and in bodies alike. */
const CONTROL_VALUES = ['\u0001', '\u000b', '\u001b[2J', '\u007f', '\u0085'];
/** Refused in URLs; bodies may carry them (multi-line text), so there they only must not break anything. */
const LINE_VALUES = ['a\tb', 'a\nb', 'a\r\nb'];
const HUGE = 'x'.repeat(100_000);
const OVER_BODY_LIMIT = 'x'.repeat(2 * 1024 * 1024);
const PLACEHOLDER_ID = 'contract-test-id';

function operationsOf(doc: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  const resolve = (schema: unknown): Schema => {
    let current = schema as Schema;
    while (typeof current['$ref'] === 'string') {
      const ref = current['$ref'] as string;
      current = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<Schema>((node, key) => node[key] as Schema, doc as unknown as Schema);
    }
    return current;
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => {
        const parameters = ((op['parameters'] ?? []) as unknown[]).map(resolve) as Array<{ in: string; name: string }>;
        const content = (op['requestBody'] as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
        const json = content?.['application/json']?.schema;
        return {
          method: method.toUpperCase(),
          path,
          pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
          queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
          body: json === undefined ? undefined : deref(resolve, json),
        };
      }),
  );
}

/** The schema with every $ref replaced by its target, so samples can be made from it alone. */
function deref(resolve: (schema: unknown) => Schema, schema: unknown, depth = 0): Schema {
  const target = resolve(schema);
  if (depth > 20) return target;
  const out: Schema = {};
  for (const [key, value] of Object.entries(target)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deref(resolve, v, depth + 1)]));
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'object' && value !== null ? deref(resolve, value, depth + 1) : value;
    } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
      out[key] = (value as unknown[]).map((v) => deref(resolve, v, depth + 1));
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** A value the schema accepts in shape (the domain may still refuse it), with one item in every array. */
function sample(schema: Schema): Json {
  if ('const' in schema) return schema['const'] as Json;
  if (Array.isArray(schema['enum'])) return schema['enum'][0] as Json;
  for (const key of ['anyOf', 'oneOf']) {
    const variants = schema[key] as Schema[] | undefined;
    if (variants !== undefined) return sample(variants.find((v) => v['type'] !== 'null') ?? variants[0] ?? {});
  }
  if (Array.isArray(schema['allOf'])) {
    return Object.assign({}, ...(schema['allOf'] as Schema[]).map((s) => sample(s) as object));
  }
  const types = Array.isArray(schema['type']) ? (schema['type'] as string[]) : [schema['type'] as string];
  const type = types.find((t) => t !== 'null');
  switch (type) {
    case 'string':
      return schema['format'] === 'date-time' ? '2026-06-01T12:00:00.000Z' : 'sample';
    case 'integer':
    case 'number':
      return (schema['minimum'] as number | undefined) ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return schema['items'] === undefined ? [] : [sample(schema['items'] as Schema)];
    case 'object':
    case undefined: {
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, sample(s)]));
    }
    default:
      return null;
  }
}

/** Where the strings are in a sample: each path leads to one. */
function stringPaths(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringPaths(item, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...path, key]));
  }
  return [];
}

function leafPaths(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [path, ...value.flatMap((item, i) => leafPaths(item, [...path, i]))];
  if (typeof value === 'object' && value !== null) {
    return [
      ...(path.length > 0 ? [path] : []),
      ...Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k])),
    ];
  }
  return [path];
}

function withValue(value: Json, path: Array<string | number>, replacement: Json): Json {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...Array<string | number>];
  if (Array.isArray(value)) return value.map((item, i) => (i === head ? withValue(item, rest, replacement) : item));
  const object = value as { [key: string]: Json };
  return { ...object, [head]: withValue(object[head] ?? null, rest, replacement) };
}

interface Probe {
  readonly what: string;
  readonly method: string;
  readonly url: string;
  readonly payload?: string;
  readonly contentType?: string;
  /** The edge must refuse it: 400 VALIDATION_FAILED (or 401 when not signed in). */
  readonly refused: boolean;
}

function urlFor(op: Operation, params: Record<string, string> = {}, query = ''): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
    encodeURIComponent(params[name] ?? PLACEHOLDER_ID),
  );
  return query === '' ? path : `${path}?${query}`;
}

/** Every probe for one operation. The NUL and control-character ones must be refused by the edge. */
function probesFor(op: Operation): Probe[] {
  const probes: Probe[] = [];
  const json = (value: Json) => JSON.stringify(value);
  const base = op.body === undefined ? undefined : sample(op.body);
  const basePayload = base === undefined ? {} : { payload: json(base), contentType: 'application/json' };
  const add = (probe: Omit<Probe, 'method'>) => probes.push({ method: op.method, ...probe });

  for (const name of op.pathParams) {
    for (const value of [...NUL_VALUES, ...CONTROL_VALUES, ...LINE_VALUES]) {
      add({ what: `path ${name}=${json(value)}`, url: urlFor(op, { [name]: value }), ...basePayload, refused: true });
    }
    for (const value of ['x'.repeat(5000), '..', '%', '\u{1F34F}', ' ', 'null', '0', '-1', '[]', '{}']) {
      add({
        what: `path ${name}=${json(value).slice(0, 40)}`,
        url: urlFor(op, { [name]: value }),
        ...basePayload,
        refused: false,
      });
    }
    // Not UTF-8: a lone surrogate, a truncated sequence, an overlong NUL, a byte no UTF-8 has.
    for (const encoded of ['%ED%A0%80', '%E0%A4%A', '%C0%80', '%FF']) {
      const url = urlFor(op).replace(PLACEHOLDER_ID, encoded);
      add({ what: `path ${name}=${encoded}`, url, ...basePayload, refused: false });
    }
  }

  for (const name of [...op.queryParams, 'unknownParam']) {
    for (const value of [...NUL_VALUES, ...CONTROL_VALUES, ...LINE_VALUES]) {
      add({
        what: `query ${name}=${json(value)}`,
        url: urlFor(op, {}, `${name}=${encodeURIComponent(value)}`),
        ...basePayload,
        refused: true,
      });
    }
    for (const query of [
      `${name}=${HUGE}`,
      `${name}=a&${name}=b`,
      `${name}=`,
      `${name}`,
      `${name}=-1`,
      `${name}=1e309`,
      `${name}[a]=b`,
      `${name}=%ZZ`,
    ]) {
      add({ what: `query ${query.slice(0, 40)}`, url: urlFor(op, {}, query), ...basePayload, refused: false });
    }
  }
  add({ what: 'a NUL in a query parameter name', url: urlFor(op, {}, 'a%00b=1'), ...basePayload, refused: true });

  if (base !== undefined) {
    const url = urlFor(op);
    const body = (value: Json) => ({ url, payload: json(value), contentType: 'application/json' });
    for (const path of stringPaths(base)) {
      const where = `body ${path.join('.')}`;
      for (const value of [...NUL_VALUES, ...CONTROL_VALUES]) {
        add({ what: `${where}=${json(value)}`, ...body(withValue(base, path, value)), refused: true });
      }
      for (const value of [...LINE_VALUES, HUGE, '', ' ', '\u200b', '\ud800', '\u{1F34F}']) {
        add({ what: `${where}=${json(value).slice(0, 40)}`, ...body(withValue(base, path, value)), refused: false });
      }
    }
    for (const path of leafPaths(base)) {
      for (const value of [42, -1, 1e308, true, null, {}, [], 'text', [null], { nested: '\u0000' }] as Json[]) {
        const refused = typeof value === 'object' && value !== null && !Array.isArray(value) && 'nested' in value;
        add({ what: `body ${path.join('.')} as ${json(value)}`, ...body(withValue(base, path, value)), refused });
      }
    }
    add({ what: 'an extra property holding NUL', ...body({ ...(base as object), extra: '\u0000' }), refused: true });
    add({ what: 'a property name holding NUL', ...body({ ...(base as object), 'na\u0000me': 'x' }), refused: true });
  }

  if (op.method !== 'GET') {
    const url = urlFor(op);
    const raw = (payload: string, contentType = 'application/json') => ({ url, payload, contentType });
    for (const payload of ['{', '{"a":', '{"a":1,}', "{'a':1}", 'nul', '\u0000', '{"a":"\\u0000"', '\ufeff{}', '']) {
      add({ what: `malformed JSON ${json(payload)}`, ...raw(payload), refused: false });
    }
    for (const payload of ['[]', '[{}]', '"text"', '42', 'null', 'true', '{}', '{"__proto__":{"admin":true}}']) {
      add({ what: `body ${payload}`, ...raw(payload), refused: false });
    }
    // Refused wherever JSON is parsed; the token upload takes any body as the file's bytes.
    add({ what: 'a JSON string body holding NUL', ...raw('"\\u0000"'), refused: base !== undefined });
    add({ what: 'an array body holding NUL', ...raw('["\\u0000"]'), refused: base !== undefined });
    add({ what: 'deeply nested JSON', ...raw(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), refused: false });
    add({ what: 'JSON over the body limit', ...raw(json({ name: OVER_BODY_LIMIT })), refused: false });
    add({ what: 'text/plain', ...raw('name=x', 'text/plain'), refused: false });
    add({ what: 'form-urlencoded', ...raw('name=%00', 'application/x-www-form-urlencoded'), refused: false });
    add({ what: 'multipart without a boundary', ...raw('--x--', 'multipart/form-data'), refused: false });
    add({ what: 'an unknown media type', ...raw('\u0000\u0001', 'application/x-garbage'), refused: false });
  }
  return probes;
}

for (const { engine, skip } of await engines()) {
  describe(`the input contract of every route in /openapi.json on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    let operations: Operation[];

    before(async () => {
      t = await startTestOrchard(engine);
      const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(doc.statusCode, 200, doc.body);
      operations = operationsOf(doc.json());
    });
    after(() => t.close());

    const send = (probe: Probe, signedIn: boolean): Promise<LightMyRequestResponse> =>
      t.app.inject({
        method: probe.method as 'GET',
        url: probe.url,
        headers: {
          ...(signedIn ? { authorization: `Bearer ${TEST_API_KEY}` } : {}),
          ...(probe.contentType === undefined ? {} : { 'content-type': probe.contentType }),
        },
        ...(probe.payload === undefined ? {} : { payload: probe.payload }),
      });

    test('the document lists the API, so the probes below reach every route', () => {
      const api = operations.filter((op) => op.path.startsWith('/api/'));
      assert.ok(api.length >= 20, `only ${api.length} API operations found`);
      for (const expected of [
        'POST /api/v1/auth/login',
        'GET /api/v1/customers',
        'PUT /api/v1/abm-tokens/{id}/token',
      ]) {
        assert.ok(
          api.some((op) => `${op.method} ${op.path}` === expected),
          `${expected} is in /openapi.json`,
        );
      }
      assert.ok(
        api.some((op) => op.body !== undefined && stringPaths(sample(op.body)).length > 0),
        'some bodies have strings to probe',
      );
    });

    for (const signedIn of [true, false]) {
      test(`no input answers 5xx, and NUL or control characters answer 400 VALIDATION_FAILED (${signedIn ? 'signed in as admin' : 'not signed in'})`, async () => {
        const failures: string[] = [];
        let sent = 0;
        for (const op of operations) {
          // The sandbox stands in for Apple and answers as Apple does; it must not fail, but the
          // problem+json refusal is Orchard's API contract, not Apple's.
          const orchardApi = op.path.startsWith('/api/');
          for (const probe of probesFor(op)) {
            const res = await send(probe, signedIn);
            sent += 1;
            const label = `${op.method} ${op.path}, ${probe.what}: ${res.statusCode} ${res.body.slice(0, 300)}`;
            if (res.statusCode >= 500) {
              failures.push(label);
              continue;
            }
            if (!probe.refused || !orchardApi) continue;
            // Not signed in, authentication answers first; throttled sign-in may answer 429.
            if (!signedIn && res.statusCode === 401) continue;
            if (res.statusCode === 429) continue;
            const code = res.statusCode === 400 ? (res.json() as { code?: string }).code : undefined;
            if (code !== 'VALIDATION_FAILED') failures.push(`expected 400 VALIDATION_FAILED: ${label}`);
          }
        }
        assert.ok(sent > 1000, `only ${sent} probes sent`);
        assert.deepEqual(failures, [], `${failures.length} of ${sent} probes failed`);
      });
    }
  });
}
