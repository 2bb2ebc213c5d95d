import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../store/paging.js';
import { ROLES } from '../store/schema.js';

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

const RoleSchema = stringEnum(ROLES, {
  description:
    'admin: everything; technician: changes within its customers; read_only: sees its customers, changes nothing',
});

/** The signed-in user, as the web app needs it. */
export const SessionSchema = Type.Object({
  user: Type.Object({
    id: Type.String(),
    email: Type.String(),
    role: RoleSchema,
    readOnly: Type.Boolean({ description: 'true: every change is refused (a read-only user or key)' }),
  }),
  csrfToken: Type.String(),
});

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    role: RoleSchema,
    customerIds: Type.Array(Type.String(), {
      description: 'Customers a technician or read-only user sees; empty for admins',
    }),
    passwordSet: Type.Boolean({ description: 'false: invited, has not chosen a password yet' }),
    disabledAt: nullable(Type.String({ format: 'date-time', description: 'set: cannot sign in' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User' },
);

/** A one-time link with which a user chooses a password; shown once, only its hash is kept. */
export const PasswordLinkSchema = Type.Object(
  {
    url: Type.String({ description: 'Send it to the user; it works once' }),
    purpose: stringEnum(['invite', 'reset'] as const),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'PasswordLink' },
);

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String({ description: 'The first characters of the key, to recognise it; never the key' }),
    userId: nullable(Type.String({ description: 'null: a service key, acting as an admin' })),
    userEmail: nullable(Type.String()),
    readOnly: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: nullable(Type.String({ format: 'date-time', description: 'null: never expires' })),
    lastUsedAt: nullable(Type.String({ format: 'date-time' })),
    revokedAt: nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'ApiKey' },
);

export const SessionInfoSchema = Type.Object(
  {
    id: Type.String(),
    current: Type.Boolean({ description: 'The session this request came with' }),
    createdAt: Type.String({ format: 'date-time' }),
    lastSeenAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    clientAddress: nullable(Type.String()),
    userAgent: nullable(Type.String()),
  },
  { $id: 'SessionInfo' },
);
