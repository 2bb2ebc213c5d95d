import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../store/paging.js';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable upper-snake error code, e.g. NAME_TAKEN' }),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

const problemRef = Type.Ref('Problem');

/** The error responses every authenticated route can give, for the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries([401, ...statuses].map((s) => [s, problemRef]));
}

// Response schemas say "this or null" and "one of these strings" with `type: [t, 'null']` and
// `enum`, not with TypeBox's anyOf unions: fast-json-stringify serializes an anyOf by running
// Ajv against each branch for every value, which for a page of 50 devices with 25 nullable
// fields each was most of the response's serialization time.

/** One of `values`, as a string `enum`. */
export function stringEnum<const V extends readonly [string, ...string[]]>(
  values: V,
  options: { description?: string } = {},
): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ ...options, type: 'string', enum: [...values] });
}

/** The schema's values or null. For schemas of one `type` (strings, integers, string enums). */
export function nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  // Object.entries leaves TypeBox's symbol keys behind: the result is plain JSON Schema.
  const plain: Record<string, unknown> = Object.fromEntries(Object.entries(schema));
  const { type, enum: values } = plain;
  if (typeof type !== 'string') throw new Error(`nullable() takes a schema of one type, not ${JSON.stringify(plain)}`);
  return Type.Unsafe<Static<T> | null>({
    ...plain,
    type: [type, 'null'],
    ...(Array.isArray(values) ? { enum: [...values, null] } : {}),
  });
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
  cursor: Type.Optional(Type.String({ maxLength: 2000 })),
});

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });
}

/** Names are validated by the domain (trim, length, uniqueness) so the message is the same from every entry point. */
export const NameBody = Type.Object({ name: Type.String({ maxLength: 10_000 }) }, { additionalProperties: false });

export const CustomerSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    siteCount: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Customer' },
);

export const SiteSchema = Type.Object(
  {
    id: Type.String(),
    customerId: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Site' },
);

export const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('technician')]),
});

export const SessionSchema = Type.Object({ user: UserSchema, csrfToken: Type.String() });

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String(),
    userId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    lastUsedAt: Type.Union([Type.String(), Type.Null()]),
    revokedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'ApiKey' },
);
