// The sandbox must not be the bottleneck when Orchard syncs a large organisation: 100,000
// devices are created in one request (one transaction) and fetched over DEP in 1,000-device
// pages, every device exactly once. Times are reported as test diagnostics only: how fast is
// measured in bench/, not asserted here, where a busy machine would make it fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { portal, serverWithClient, startSandbox } from './support.js';

const DEVICES = 100_000;

test(`${DEVICES.toLocaleString('en')} devices are created in bulk and fetched in 1,000-device pages`, async (t) => {
  const sandbox = await startSandbox();
  try {
    const { id, dep } = await serverWithClient(sandbox, 'Large organisation');

    let started = performance.now();
    const created = await portal(sandbox, 'POST', '/devices', { count: DEVICES, mdmServerId: id });
    const createMs = performance.now() - started;
    assert.equal(created.status, 201);
    assert.equal(created.json()['count'], DEVICES);
    t.diagnostic(
      `created and assigned ${DEVICES} devices in ${Math.round(createMs)} ms (${Math.round(DEVICES / (createMs / 1000))} devices/s)`,
    );

    started = performance.now();
    const { serials, pages } = await dep.fetchAll(1000);
    const fetchMs = performance.now() - started;
    assert.equal(pages, DEVICES / 1000);
    assert.equal(serials.length, DEVICES);
    assert.equal(new Set(serials).size, DEVICES);
    const pagesPerSecond = pages / (fetchMs / 1000);
    t.diagnostic(
      `fetched ${pages} pages of 1000 in ${Math.round(fetchMs)} ms: ${Math.round(pagesPerSecond)} pages/s, ${Math.round(DEVICES / (fetchMs / 1000))} devices/s (fastify.inject, JSON included)`,
    );
  } finally {
    await sandbox.destroy();
  }
});
