import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every response: the web app, /docs (Swagger UI) and the
 * sandbox's ABM page all load scripts and styles from this origin only, and none of them runs
 * inline script. Styles need 'unsafe-inline': Mantine writes its theme's CSS variables into a
 * <style> element at run time, and Swagger UI sets style attributes.
 */
export function contentSecurityPolicy(https: boolean): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'", 'data:'],
    'form-action': ["'self'"],
    // Nothing embeds Orchard: a framed sign-in page is how clickjacking starts.
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    // Over plain http (development) this would send the browser to an https that is not there.
    ...(https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

/**
 * Helmet on every route, HTML and API alike (an API answer opened in a browser is a page too).
 * HSTS only when the public URL is https: sent over http it is ignored at best, and pins a
 * development host name to https at worst.
 */
export function registerSecurityHeaders(app: FastifyInstance, options: { https: boolean }): void {
  // Helmet's middleware is built once. @fastify/helmet, used before, built it anew on every
  // request, parsing the policy each time: 4 % of the CPU of a devices page (bench/README.md).
  const setHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(options.https) },
    strictTransportSecurity: options.https ? { maxAge: 365 * 24 * 60 * 60, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    // Same-origin: links out (to Apple Business Manager, say) carry no Orchard URL, while
    // Orchard's own requests keep their Origin header, which "no-referrer" would blank.
    referrerPolicy: { policy: 'same-origin' },
  });
  // On the root instance, so every route, 404s and errors included, gets them.
  app.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, (error?: unknown) => done(error instanceof Error ? error : undefined));
  });
}
