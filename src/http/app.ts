import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Orchard } from '../app/orchard.js';
import { registerAuth } from './auth.js';
import { childLoggerFactory, redactPaths, registerRequestLog } from './logging.js';
import { metricsAccess, registerMetrics } from './metrics.js';
import { registerOrchardMetrics } from './orchard-metrics.js';
import { errorHandler } from './problem.js';
import { fastifyTrustProxy } from './trust-proxy.js';
import { refuseControlCharacters, validatorCompiler } from './validation.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { AuditEventSchema, auditRoutes } from './routes/audit-events.js';
import { DeliverySchema, WebhookSchema, webhookRoutes } from './routes/webhooks.js';
import { RecipientSchema, notificationRoutes } from './routes/notifications.js';
import { authRoutes } from './routes/auth.js';
import { userRoutes } from './routes/users.js';
import { customerRoutes } from './routes/customers.js';
import { AbmTokenSchema, abmTokenRoutes } from './routes/abm-tokens.js';
import { DeviceSchema, deviceRoutes } from './routes/devices.js';
import { EnrollmentProfileSchema, enrollmentProfileRoutes } from './routes/enrollment-profiles.js';
import { systemRoutes } from './routes/system.js';
import { ORCHARD_VERSION } from '../app/version.js';
import { healthRoutes } from './routes/health.js';
import { mdmRoutes } from './routes/mdm.js';
import { scepRoutes } from './routes/mdm-scep.js';
import {
  ApiKeySchema,
  CustomerSchema,
  PasswordLinkSchema,
  ProblemSchema,
  SessionInfoSchema,
  SiteSchema,
  UserSchema,
} from './schemas.js';
import { registerBodyIdleTimeout } from './timeouts.js';
import { registerWebApp } from './web.js';
import { sandboxPlugin } from '../sandbox/index.js';
import { orchardUsersOnly } from './sandbox-access.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface AppOptions {
  /** false silences request logs (tests); otherwise pino at the configured level. */
  readonly logger?: boolean;
  /** Where the built web app lives; tests point elsewhere or at nothing. */
  readonly webDist?: string;
  /** The sandbox's clock, for tests that age cursors and tokens. */
  readonly sandboxClock?: () => Date;
}

/** JSON bodies are names and settings; anything bigger is a mistake or an attack. */
export const JSON_BODY_LIMIT = 1024 * 1024;

export async function buildApp(orchard: Orchard, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = orchard;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : { level: config.logLevel, redact: { paths: redactPaths, censor: '[redacted]' } },
    bodyLimit: JSON_BODY_LIMIT,
    // A base URL configured with a trailing slash makes clients ask for //path.
    routerOptions: { ignoreDuplicateSlashes: true },
    // Behind a load balancer the client address and scheme come from X-Forwarded-*, but only
    // as written by the proxies named in ORCHARD_TRUST_PROXY: login throttling per address
    // depends on it, and a client can write any X-Forwarded-For it likes.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Our own id for every request; a client's X-Request-Id is logged beside it (logging.ts).
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    childLoggerFactory,
    // registerRequestLog writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A client that sends its request slowly or stops halfway, or idles on a kept-alive
    // connection, loses the connection instead of holding it (and a socket) for good.
    requestTimeout: config.http.requestMs,
    keepAliveTimeout: config.http.keepAliveMs,
    http: {
      headersTimeout: config.http.headersMs,
      // How often Node looks for requests past those timeouts (its default is 30 s): a quarter
      // of the shortest cuts a stalled client off within 1.25 times its timeout.
      connectionsCheckingInterval: Math.min(config.http.headersMs, config.http.requestMs) / 4,
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // First, so that every response below, errors and 404s included, carries the headers.
  registerSecurityHeaders(app, { https: config.publicUrl.protocol === 'https:' });
  registerRequestLog(app);
  app.setErrorHandler(errorHandler);
  registerBodyIdleTimeout(app, config.http.bodyIdleMs);
  app.setValidatorCompiler(validatorCompiler());
  // The API speaks JSON. Routes that take files (token upload) add their own parser in their scope.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addSchema(ProblemSchema);
  app.addSchema(CustomerSchema);
  app.addSchema(SiteSchema);
  app.addSchema(ApiKeySchema);
  app.addSchema(UserSchema);
  app.addSchema(PasswordLinkSchema);
  app.addSchema(SessionInfoSchema);
  app.addSchema(AuditEventSchema);
  app.addSchema(WebhookSchema);
  app.addSchema(DeliverySchema);
  app.addSchema(RecipientSchema);
  // Shared schemas live here, at the root: a plugin calling addSchema gets a schema
  // controller of its own, which falls back to Fastify's default Ajv (removeAdditional,
  // body coercion) instead of the validator compiler set above.
  app.addSchema(AbmTokenSchema);
  app.addSchema(DeviceSchema);
  app.addSchema(EnrollmentProfileSchema);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Orchard API',
        version: '1',
        description:
          'Device Management for Apple. Authenticate with "Authorization: Bearer <api key>" (create one with `orchard api-key create`). Errors are RFC 9457 problem details with a stable `code`.',
      },
      servers: [{ url: config.publicBaseUrl }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  // No validator badge: it would send the spec's URL to validator.swagger.io, and CSP blocks the image anyway.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerOrchardMetrics(registerMetrics(app, metricsAccess(config.mode, config.metricsToken)), orchard);
  await app.register(healthRoutes, { db: orchard.db });
  await app.register(fastifyCookie);

  const secureCookies = config.publicUrl.protocol === 'https:' || config.mode === 'production';
  await app.register(
    async (api) => {
      registerAuth(api, { accounts: orchard.accounts, secureCookies });
      // Every API route, the public sign-in included, and every route added later in this scope.
      api.addHook('preValidation', refuseControlCharacters);
      await api.register(authRoutes, { accounts: orchard.accounts, secureCookies });
      await api.register(userRoutes, { users: orchard.users, publicBaseUrl: config.publicBaseUrl });
      await api.register(apiKeyRoutes, { apiKeys: orchard.apiKeys });
      await api.register(auditRoutes, { audit: orchard.audit });
      await api.register(webhookRoutes, { webhooks: orchard.webhooks });
      await api.register(notificationRoutes, { notifications: orchard.notifications });
      await api.register(customerRoutes, { customers: orchard.customers });
      await api.register(abmTokenRoutes, { abmTokens: orchard.abmTokens });
      await api.register(enrollmentProfileRoutes, { profiles: orchard.enrollmentProfiles });
      await api.register(deviceRoutes, { devices: orchard.devices });
      await api.register(systemRoutes, {
        info: {
          sandbox: config.sandbox,
          mode: config.mode,
          appleBusinessManagerUrl: config.sandbox
            ? `${config.publicBaseUrl}/sandbox/abm`
            : 'https://business.apple.com',
          version: ORCHARD_VERSION,
          email: { configured: config.email !== null, from: config.email?.from ?? null },
        },
      });
    },
    { prefix: '/api/v1' },
  );

  if (config.sandbox) {
    // Apple's side, simulated: product code reaches it only over HTTP, by base URL.
    await app.register(sandboxPlugin, {
      prefix: '/sandbox',
      dataDir: config.dataDir,
      publicUrl: config.publicBaseUrl,
      portalAccess: orchardUsersOnly(orchard.accounts, '/login'),
      ...(options.sandboxClock === undefined ? {} : { clock: options.sandboxClock }),
    });
  }

  // What devices talk to: raw bodies in Apple's formats, outside /api/v1 and its JSON rules.
  await app.register(mdmRoutes, { profiles: orchard.enrollment.profiles, checkIns: orchard.enrollment.checkIns });
  await app.register(scepRoutes, {
    prefix: '/mdm/scep',
    authority: orchard.enrollment.scep,
    now: () => orchard.clock.now(),
  });

  await registerWebApp(app, options.webDist);
  return app;
}
