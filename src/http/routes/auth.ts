import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '../../domain/accounts.js';
import { UnauthenticatedError } from '../../domain/errors.js';
import { clearSessionCookie, csrfTokenFor, setSessionCookie } from '../auth.js';
import { SessionSchema, errors } from '../schemas.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountService; secureCookies: boolean }> = async (
  app,
  { accounts, secureCookies },
) => {
  const tags = ['Sign-in'];

  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Sign in with email and password; sets the session cookie',
        body: Type.Object(
          {
            email: Type.String({ minLength: 1, maxLength: 320 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SessionSchema, ...errors(400, 429) },
      },
    },
    async (request, reply) => {
      const signedIn = await accounts.signIn(request.body.email, request.body.password, request.ip);
      setSessionCookie(reply, signedIn.sessionToken, secureCookies);
      const { id, email, role } = signedIn.user;
      return { user: { id, email, role }, csrfToken: csrfTokenFor(signedIn.sessionToken) };
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
      const { id, email, role } = session.user;
      return { user: { id, email, role }, csrfToken: csrfTokenFor(token) };
    },
  );
};
