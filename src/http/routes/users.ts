import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { passwordLinkUrl, type PasswordLinkToken, type UserService } from '../../domain/users.js';
import { ROLES } from '../../store/schema.js';
import { requirePrincipal } from '../auth.js';
import { IdParams, errors, stringEnum } from '../schemas.js';

const Email = Type.String({ minLength: 1, maxLength: 320 });
const Role = stringEnum(ROLES);
const CustomerIds = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  maxItems: 1000,
  description: 'Customers a technician or read-only user sees (ignored for admins)',
});

export const userRoutes: FastifyPluginAsyncTypebox<{ users: UserService; publicBaseUrl: string }> = async (
  app,
  { users, publicBaseUrl },
) => {
  const tags = ['Users'];
  const link = (token: PasswordLinkToken) => ({
    url: passwordLinkUrl(publicBaseUrl, token.token),
    purpose: token.purpose,
    expiresAt: token.expiresAt,
  });

  app.get(
    '/users',
    {
      schema: {
        tags,
        summary: 'List users, by email (admins)',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('User')) }), ...errors(403) },
      },
    },
    async (request) => ({ items: await users.list(requirePrincipal(request)) }),
  );

  app.post(
    '/users',
    {
      schema: {
        tags,
        summary:
          'Add a user (admins). Without a password the user is invited: the answer holds a one-time link to choose one, shown only this once',
        body: Type.Object(
          {
            email: Email,
            role: Role,
            customerIds: Type.Optional(CustomerIds),
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ user: Type.Ref('User'), passwordLink: Type.Optional(Type.Ref('PasswordLink')) }),
          ...errors(400, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const { user, link: token } = await users.create(requirePrincipal(request), request.body);
      return reply.code(201).send(token === undefined ? { user } : { user, passwordLink: link(token) });
    },
  );

  app.get(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Get a user (admins)',
        params: IdParams,
        response: { 200: Type.Ref('User'), ...errors(403, 404) },
      },
    },
    async (request) => users.get(requirePrincipal(request), request.params.id),
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags,
        summary:
          'Change a user’s email, role or customers, or disable it (admins). Disabling ends its sessions and revokes its API keys at once',
        params: IdParams,
        body: Type.Object(
          {
            email: Type.Optional(Email),
            role: Type.Optional(Role),
            customerIds: Type.Optional(CustomerIds),
            disabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref('User'), ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => users.update(requirePrincipal(request), request.params.id, request.body),
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Delete a user with its sessions and API keys (admins)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(403, 404, 409) },
      },
    },
    async (request, reply) => {
      await users.delete(requirePrincipal(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/:id/password-reset',
    {
      schema: {
        tags,
        summary:
          'A one-time link with which the user chooses a new password and is unlocked (admins); shown only this once, any earlier link stops working',
        params: IdParams,
        response: { 201: Type.Ref('PasswordLink'), ...errors(403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(link(await users.createPasswordReset(requirePrincipal(request), request.params.id))),
  );
};
