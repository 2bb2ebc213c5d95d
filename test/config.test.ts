import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, DEV_ADMIN, loadConfig } from '../src/config/config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

function problemWith(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error.message;
  }
  assert.fail('expected the configuration to be refused');
}

describe('configuration from the environment', () => {
  test('defaults give a development server on 127.0.0.1:8080 with SQLite in ./data and the sandbox on', () => {
    const config = loadConfig({});
    assert.equal(config.mode, 'development');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl.toString(), 'http://localhost:8080/');
    assert.equal(config.database.engine, 'sqlite');
    assert.match(config.database.engine === 'sqlite' ? config.database.file : '', /data\/orchard\.db$/);
    assert.equal(config.sandbox, true);
    assert.equal(config.bootstrap.adminEmail, DEV_ADMIN.email);
  });

  test('production listens on all interfaces, turns the sandbox off and makes no default admin', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      ORCHARD_MASTER_KEY: KEY,
      ORCHARD_PUBLIC_URL: 'https://mdm.example.com/',
    });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.sandbox, false);
    assert.equal(config.bootstrap.adminEmail, undefined);
    assert.equal(config.publicUrl.toString(), 'https://mdm.example.com/');
    assert.equal(config.publicBaseUrl, 'https://mdm.example.com', 'no trailing slash to double up in built URLs');
  });

  test('production without a master key or public URL is refused, naming the variable', () => {
    assert.match(
      problemWith({ NODE_ENV: 'production', ORCHARD_PUBLIC_URL: 'https://x.example' }),
      /^ORCHARD_MASTER_KEY is required in production/,
    );
    assert.match(
      problemWith({ NODE_ENV: 'production', ORCHARD_MASTER_KEY: KEY }),
      /^ORCHARD_PUBLIC_URL is required in production/,
    );
  });

  test('bad values name their variable', () => {
    assert.match(problemWith({ PORT: 'eighty' }), /^PORT must be a whole number/);
    assert.match(problemWith({ PORT: '70000' }), /^PORT /);
    assert.match(problemWith({ ORCHARD_PUBLIC_URL: 'mdm.example.com' }), /^ORCHARD_PUBLIC_URL must be an absolute URL/);
    assert.match(problemWith({ DATABASE_URL: 'mysql://x' }), /^DATABASE_URL must be a postgres:\/\/ URL/);
    assert.match(problemWith({ ORCHARD_SANDBOX: 'maybe' }), /^ORCHARD_SANDBOX must be 1 or 0/);
    assert.match(
      problemWith({ ORCHARD_BOOTSTRAP_API_KEY: 'short' }),
      /^ORCHARD_BOOTSTRAP_API_KEY must be at least 32 characters/,
    );
    assert.match(
      problemWith({ ORCHARD_BOOTSTRAP_ADMIN_EMAIL: 'a@b.c' }),
      /^ORCHARD_BOOTSTRAP_ADMIN_PASSWORD must be set together/,
    );
    assert.match(problemWith({ LOG_LEVEL: 'loud' }), /^LOG_LEVEL must be one of/);
  });

  test('a public URL with a path keeps it, without a trailing slash', () => {
    assert.equal(
      loadConfig({ ORCHARD_PUBLIC_URL: 'https://msp.example.com/orchard/' }).publicBaseUrl,
      'https://msp.example.com/orchard',
    );
  });

  test('DATABASE_URL postgres:// selects PostgreSQL, with 5 s to connect, 30 s per statement, 10 connections', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db.internal:5432/orchard' });
    assert.deepEqual(config.database, {
      engine: 'postgres',
      url: 'postgres://u@db.internal:5432/orchard',
      timeouts: { connectMs: 5000, statementMs: 30_000 },
      poolSize: 10,
    });
  });

  test('ORCHARD_DB_POOL_SIZE sets the PostgreSQL connections per process; one alone is refused', () => {
    const env = { DATABASE_URL: 'postgres://u@db.internal:5432/orchard' };
    const config = loadConfig({ ...env, ORCHARD_DB_POOL_SIZE: '25' });
    assert.equal(config.database.engine === 'postgres' ? config.database.poolSize : undefined, 25);
    assert.throws(() => loadConfig({ ...env, ORCHARD_DB_POOL_SIZE: '1' }), /ORCHARD_DB_POOL_SIZE/);
  });

  test('database and HTTP timeouts come from the environment in whole seconds, and bad ones name their variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db.internal:5432/orchard',
      ORCHARD_DB_CONNECT_TIMEOUT_SECONDS: '2',
      ORCHARD_DB_STATEMENT_TIMEOUT_SECONDS: '120',
      ORCHARD_HTTP_REQUEST_TIMEOUT_SECONDS: '300',
      ORCHARD_HTTP_HEADERS_TIMEOUT_SECONDS: '20',
      ORCHARD_HTTP_BODY_TIMEOUT_SECONDS: '45',
      ORCHARD_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '65',
    });
    assert.deepEqual(config.database.engine === 'postgres' ? config.database.timeouts : undefined, {
      connectMs: 2000,
      statementMs: 120_000,
    });
    assert.deepEqual(config.http, { requestMs: 300_000, headersMs: 20_000, bodyIdleMs: 45_000, keepAliveMs: 65_000 });
    assert.deepEqual(loadConfig({}).http, {
      requestMs: 60_000,
      headersMs: 15_000,
      bodyIdleMs: 30_000,
      keepAliveMs: 10_000,
    });
    const pg = { DATABASE_URL: 'postgres://u@db/orchard' };
    assert.match(
      problemWith({ ...pg, ORCHARD_DB_CONNECT_TIMEOUT_SECONDS: '0' }),
      /^ORCHARD_DB_CONNECT_TIMEOUT_SECONDS must be a whole number of seconds from 1/,
    );
    assert.match(
      problemWith({ ...pg, ORCHARD_DB_STATEMENT_TIMEOUT_SECONDS: '1.5' }),
      /^ORCHARD_DB_STATEMENT_TIMEOUT_SECONDS must be a whole number/,
    );
    assert.match(
      problemWith({ ORCHARD_HTTP_BODY_TIMEOUT_SECONDS: 'soon' }),
      /^ORCHARD_HTTP_BODY_TIMEOUT_SECONDS must be a whole number/,
    );
    assert.match(
      problemWith({ ORCHARD_HTTP_REQUEST_TIMEOUT_SECONDS: '10', ORCHARD_HTTP_HEADERS_TIMEOUT_SECONDS: '15' }),
      /^ORCHARD_HTTP_HEADERS_TIMEOUT_SECONDS must not be longer than ORCHARD_HTTP_REQUEST_TIMEOUT_SECONDS \(10\)/,
    );
  });

  test('ORCHARD_TRUST_PROXY: unset trusts no proxy; a hop count or proxy addresses; never every hop', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(
      loadConfig({ NODE_ENV: 'production', ORCHARD_MASTER_KEY: KEY, ORCHARD_PUBLIC_URL: 'https://mdm.example.com' })
        .trustProxy,
      false,
      'production too',
    );
    assert.equal(loadConfig({ ORCHARD_TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ ORCHARD_TRUST_PROXY: '0' }).trustProxy, false);
    assert.equal(loadConfig({ ORCHARD_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ ORCHARD_TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,fd00::/8, ::1, loopback' }).trustProxy, [
      '10.0.0.0/8',
      '192.0.2.7',
      'fd00::/8',
      '::1',
      'loopback',
    ]);
    assert.match(problemWith({ ORCHARD_TRUST_PROXY: 'true' }), /^ORCHARD_TRUST_PROXY must name the proxies to trust/);
    assert.match(problemWith({ ORCHARD_TRUST_PROXY: '0.0.0.0/0' }), /^ORCHARD_TRUST_PROXY .*would trust every address/);
    assert.match(
      problemWith({ ORCHARD_TRUST_PROXY: '10.0.0.1,proxy.internal' }),
      /^ORCHARD_TRUST_PROXY must be false, a number of proxy hops, or a comma-separated list of proxy IPs\/CIDRs .*"proxy.internal" is not an IP address/,
    );
    assert.match(
      problemWith({ ORCHARD_TRUST_PROXY: '10.0.0.0/33' }),
      /^ORCHARD_TRUST_PROXY .*prefix length from 1 to 32/,
    );
    assert.match(problemWith({ ORCHARD_TRUST_PROXY: '10.0.0.1,' }), /^ORCHARD_TRUST_PROXY .*"" is not an IP address/);
    assert.match(
      problemWith({ ORCHARD_TRUST_PROXY: '99' }),
      /^ORCHARD_TRUST_PROXY must be a number of proxy hops from 1 to 32/,
    );
  });
});
