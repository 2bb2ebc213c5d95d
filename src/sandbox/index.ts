/**
 * The Apple sandbox: a simulated Apple Business Manager portal and DEP web service, served
 * over real HTTP in Apple's wire format so Orchard's product code can be pointed at it by
 * base URL alone (it never imports this module). Register it with a prefix:
 *
 *     await app.register(sandboxPlugin, { prefix: '/sandbox', dataDir, publicUrl });
 *
 * and it serves `<prefix>/dep/…` (DEP) and `<prefix>/abm` (portal page and `<prefix>/abm/api`).
 * The plugin is encapsulated on purpose: its body parsing, error handlers and 404s stay
 * inside its scope and never touch the host app's problem+json behaviour.
 */
import type { FastifyPluginAsync } from 'fastify';
import { openSandbox } from './context.js';
import { openSandboxDb } from './db.js';
import { loadOrCreateDeviceCa } from './device-ca.js';
import { depRoutes } from './dep-routes.js';
import { SANDBOX_BODY_LIMIT } from './http-body.js';
import type { PortalAccess } from './portal-access.js';
import { portalRoutes } from './portal-routes.js';

export interface SandboxPluginOptions {
  /** Where `sandbox.db` lives (created if missing). */
  readonly dataDir: string;
  /** Host time for the sandbox clock; tests pass a manual clock. Defaults to the system clock. */
  readonly clock?: () => Date;
  /** The base URL clients reach the host app at, e.g. "http://localhost:8080" (OAuth signs it). */
  readonly publicUrl: string;
  /** The host app's sign-in, when it has users; without it (standalone) the portal is open. */
  readonly portalAccess?: PortalAccess;
}

export const sandboxPlugin: FastifyPluginAsync<SandboxPluginOptions> = async (app, options) => {
  const ctx = openSandbox(options);
  app.addHook('onClose', async () => {
    ctx.db.close();
  });

  // Raw bodies everywhere in the sandbox: DEP clients send `application/json;charset=UTF8`,
  // the portal takes JSON, PEM text and form uploads; each side parses and answers errors
  // in its own format.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SANDBOX_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  app.get('/', async (_request, reply) => reply.redirect(`${app.prefix}/abm`));
  await app.register(async (dep) => depRoutes(dep, ctx), { prefix: '/dep' });
  await app.register(async (portal) => portalRoutes(portal, ctx, options.portalAccess), { prefix: '/abm' });
};

/**
 * The sandbox device CA's certificate (PEM), which Orchard trusts for MachineInfo signatures
 * in sandbox mode. Opens `sandbox.db` on its own connection, so it may be called before the
 * plugin is registered or while it runs (SQLite WAL; the first CA stored wins), and makes the
 * CA if there is none yet: the plugin then uses the same one. `clock` is the host clock the
 * plugin is given (it dates the CA if this call makes it).
 */
export async function sandboxDeviceCaCertificate(options: { dataDir: string; clock?: () => Date }): Promise<string> {
  const db = openSandboxDb(options.dataDir);
  try {
    return (await loadOrCreateDeviceCa(db, (options.clock ?? (() => new Date()))())).certificatePem;
  } finally {
    db.close();
  }
}

export type { SandboxContext } from './context.js';
export type { PortalAccess, PortalVisitor } from './portal-access.js';
