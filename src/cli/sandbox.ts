/**
 * `orchard sandbox --port N`: the Apple sandbox on its own, without Orchard's app, for
 * pointing a DEP client (or a second Orchard) at a simulated Apple. Same prefix as when
 * mounted inside Orchard: http://host:port/sandbox/abm and /sandbox/dep/….
 */
import Fastify from 'fastify';
import { sandboxPlugin } from '../sandbox/index.js';

export interface SandboxCommandOptions {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
}

export async function sandboxCommand(options: SandboxCommandOptions): Promise<void> {
  const app = Fastify({ logger: { level: process.env['LOG_LEVEL'] ?? 'info' } });
  // Clients sign OAuth against the URL they use; "0.0.0.0" is not one, so name localhost.
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const hostPart = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  const publicUrl = `http://${hostPart}:${options.port}`;
  await app.register(sandboxPlugin, { prefix: '/sandbox', dataDir: options.dataDir, publicUrl });
  app.get('/', async (_request, reply) => reply.redirect('/sandbox/abm'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    app.log.info(`${signal}: finishing in-flight requests, then closing the sandbox database`);
    try {
      await app.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ host: options.host, port: options.port });
  app.log.info(
    `Apple sandbox ready: portal ${address}/sandbox/abm, DEP base URL ${address}/sandbox/dep (data in ${options.dataDir})`,
  );
}
