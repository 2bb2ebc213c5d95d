import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService, User } from '../../domain/accounts.js';
import { UnauthenticatedError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import { clearSessionCookie, csrfTokenFor, requirePrincipal, setSessionCookie } from '../auth.js';
import { IdParams, SessionSchema, errors } from '../schemas.js';

const Password = Type.String({ minLength: 1, maxLength: 1024 });

function sessionBody(user: User, readOnly: boolean, sessionToken: string) {
  return { user: { id: user.id, email: user.email, role: user.role, readOnly }, csrfToken: csrfTokenFor(sessionToken) };
}

export const authRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountService; secureCookies: boolean }> = async (
  app,
  { accounts, secureCookies },
) => {
  const tags = ['Sign-in and your account'];

  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Sign in with email and password; sets the session cookie',
        body: Type.Object(
          { email: Type.String({ minLength: 1, maxLength: 320 }), password: Password },
          {
            additionalProperties: false,
          },
        ),
        response: { 200: SessionSchema, ...errors(400, 403, 429) },
      },
    },
    async (request, reply) => {
      const signedIn = await accounts.signIn(request.body.email, request.body.password, {
        address: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      setSessionCookie(reply, signedIn.sessionToken, secureCookies);
      return sessionBody(signedIn.user, signedIn.user.role === 'read_only', signedIn.sessionToken);
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { public: true },
      schema: { tags, summary: 'Sign out: ends the session', response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      if (request.sessionToken !== null) await accounts.signOut(request.sessionToken);
      clearSessionCookie(reply, secureCookies);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags,
        summary: 'The signed-in user and the CSRF token for writes',
        response: { 200: SessionSchema, ...errors() },
      },
    },
    async (request) => {
      const token = request.sessionToken;
      if (token === null) {
        throw new UnauthenticatedError('NO_SESSION', 'This endpoint describes a browser session; API keys have none.');
      }
      const session = await accounts.authenticateSession(token);
      if (session === undefined) throw new UnauthenticatedError();
      return sessionBody(session.user, session.principal.readOnly, token);
    },
  );

  app.post(
    '/auth/password',
    {
      config: { selfService: true },
      schema: {
        tags,
        summary: 'Change your own password; your other sessions end',
        body: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors(400, 403) },
      },
    },
    async (request, reply) => {
      await accounts.changeOwnPassword(
        requirePrincipal(request),
        request.body.currentPassword,
        request.body.newPassword,
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/password-link',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Choose a password with a one-time invitation or reset link; then sign in with it',
        security: [],
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 200 }), password: Password },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      await accounts.usePasswordLink(request.body.token, request.body.password);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/sessions',
    {
      schema: {
        tags,
        summary: 'Your signed-in sessions, most recently used first',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('SessionInfo')) }), ...errors() },
      },
    },
    async (request) => ({ items: await accounts.listOwnSessions(requirePrincipal(request)) }),
  );

  app.delete(
    '/auth/sessions',
    {
      config: { selfService: true },
      schema: {
        tags,
        summary: 'Sign out everywhere else: ends all your sessions but the one making this request',
        response: { 200: Type.Object({ ended: Type.Integer() }), ...errors() },
      },
    },
    async (request) => ({ ended: await accounts.endOtherSessions(requirePrincipal(request)) }),
  );

  app.delete(
    '/auth/sessions/:id',
    {
      config: { selfService: true },
      schema: {
        tags,
        summary: 'End one of your sessions',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      const principal: Principal = requirePrincipal(request);
      await accounts.endOwnSession(principal, request.params.id);
      if (principal.credential.via === 'session' && principal.credential.id === request.params.id) {
        clearSessionCookie(reply, secureCookies);
      }
      return reply.code(204).send(null);
    },
  );
};
