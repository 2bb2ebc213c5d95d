/**
 * Who may use the ABM portal. Standalone (`orchard sandbox`) there are no users and the portal
 * is open, as a demo tool should be. Mounted in a host app that has users, the host says who
 * is signed in: the portal's API then refuses everyone else, and its page asks them to sign in.
 * The DEP routes are not covered: Apple authenticates them by OAuth, and so does the sandbox.
 */
import type { FastifyRequest } from 'fastify';

export type PortalVisitor =
  | {
      readonly kind: 'signed-in';
      /** Present when the visitor came with a session cookie: writes from the page must send it. */
      readonly csrf?: { readonly header: string; readonly token: string };
    }
  | { readonly kind: 'refused'; readonly status: 401 | 403; readonly code: string; readonly message: string };

export interface PortalAccess {
  identify(request: FastifyRequest): Promise<PortalVisitor>;
  /** Where the page sends a browser that is not signed in. */
  readonly signInUrl: string;
}
