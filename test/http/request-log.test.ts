// One log line per request, written when it is answered, with what Fastify's two lines held.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify, { LogController } from 'fastify';
import { registerRequestLog } from '../../src/http/logging.js';

test('each request is logged once, on its answer, with method, URL, status and time', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  const app = Fastify({ logger: { level: 'info', stream }, logController: new LogController({ disableRequestLogging: true }) });
  registerRequestLog(app);
  app.get('/things', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url: '/things?limit=2' });
  await app.inject({ method: 'GET', url: '/missing' });
  await app.close();

  const requests = lines.filter((line) => line['msg'] === 'request completed');
  assert.equal(requests.length, 2, 'one line per request');
  assert.equal(lines.length, 2, 'and no other line about them');
  const [ok, missing] = requests;
  const req = ok?.['req'] as Record<string, unknown> | undefined;
  assert.equal(req?.['method'], 'GET');
  assert.equal(req?.['url'], '/things?limit=2');
  assert.deepEqual(ok?.['res'], { statusCode: 200 });
  assert.equal(typeof ok?.['responseTime'], 'number');
  assert.equal(typeof ok?.['reqId'], 'string');
  assert.deepEqual(missing?.['res'], { statusCode: 404 });
});
