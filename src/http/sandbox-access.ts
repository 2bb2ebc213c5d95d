import type { AccountService } from '../domain/accounts.js';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';
import { requireWriteAccess } from '../domain/principal.js';
import type { PortalAccess } from '../sandbox/index.js';
import { CSRF_HEADER, SAFE_METHODS, authenticateRequest, csrfTokenFor } from './auth.js';

/**
 * The sandbox's ABM portal, mounted in Orchard, admits whoever /api/v1 admits: a signed-in
 * user (whose page writes carry the session's CSRF token) or an API key. Without this anyone
 * who can reach Orchard could issue server tokens and move devices in its sandbox.
 */
export function orchardUsersOnly(accounts: AccountService, signInUrl: string): PortalAccess {
  return {
    signInUrl,
    async identify(request) {
      try {
        const identity = await authenticateRequest(request, accounts);
        if (identity === null) {
          const refusal = new UnauthenticatedError();
          return { kind: 'refused', status: 401, code: refusal.code, message: refusal.message };
        }
        // Read-only users and keys look at the sandbox's ABM; they do not change it.
        if (!SAFE_METHODS.has(request.method)) requireWriteAccess(identity.principal);
        return identity.sessionToken === null
          ? { kind: 'signed-in' }
          : { kind: 'signed-in', csrf: { header: CSRF_HEADER, token: csrfTokenFor(identity.sessionToken) } };
      } catch (error) {
        if (error instanceof UnauthenticatedError || error instanceof ForbiddenError) {
          const status = error instanceof ForbiddenError ? 403 : 401;
          return { kind: 'refused', status, code: error.code, message: error.message };
        }
        throw error;
      }
    },
  };
}
