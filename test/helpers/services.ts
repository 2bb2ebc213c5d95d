import fs from 'node:fs';
import net from 'node:net';

/**
 * Suites that need a service run when it is reachable, and must run on CI: with CI=true
 * nothing is skipped, so a missing PostgreSQL or Chromium fails the build instead of
 * turning it silently green.
 */
export const onCi = process.env['CI'] === 'true';

export const postgresUrl = process.env['ORCHARD_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const chromiumPath = process.env['ORCHARD_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** undefined when PostgreSQL tests should run; otherwise the reason they are skipped. */
export async function postgresSkipReason(): Promise<string | undefined> {
  if (onCi) return undefined;
  return (await reachable(postgresUrl)) ? undefined : `PostgreSQL not reachable at ${postgresUrl}`;
}

export function browserSkipReason(): string | undefined {
  if (onCi) return undefined;
  return fs.existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath} (apt-get install -y chromium)`;
}

export type Engine = 'sqlite' | 'postgres';

/** The engines this run covers, each with its skip reason (undefined = run). */
export async function engines(): Promise<Array<{ engine: Engine; skip: string | undefined }>> {
  return [
    { engine: 'sqlite', skip: undefined },
    { engine: 'postgres', skip: await postgresSkipReason() },
  ];
}
