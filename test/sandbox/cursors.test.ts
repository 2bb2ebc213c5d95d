// Cursors and serial numbers, the two things the sandbox makes up that clients store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CURSOR_MAX_AGE_MS, CursorCodec } from '../../src/sandbox/cursors.js';
import { DeviceGenerator, catalogModels, DEVICE_FAMILIES } from '../../src/sandbox/device-catalog.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

test('a cursor round-trips, is unpadded base64, and is refused when edited, foreign or older than seven days', () => {
  const codec = new CursorCodec(randomBytes(32));
  const cursor = codec.encode({ phase: 'fetch', serverId: 'abc', seq: 42, afterSerial: 'C02XYZ', issuedAt: NOW });
  assert.match(cursor, /^[A-Za-z0-9+/]+$/);
  assert.deepEqual(codec.decode(cursor, 'abc', NOW + 1000), {
    ok: true,
    cursor: { phase: 'fetch', serverId: 'abc', seq: 42, afterSerial: 'C02XYZ', issuedAt: NOW },
  });
  assert.deepEqual(codec.decode(cursor, 'other', NOW), { ok: false, reason: 'invalid' });
  assert.deepEqual(codec.decode(cursor, 'abc', NOW + CURSOR_MAX_AGE_MS + 1), { ok: false, reason: 'expired' });
  assert.deepEqual(
    new CursorCodec(randomBytes(32)).decode(cursor, 'abc', NOW),
    { ok: false, reason: 'invalid' },
    'another key',
  );
  // Forging a later position means editing the payload, which the MAC catches.
  const forged = Buffer.from(cursor, 'base64').toString('latin1').replace('|42|', '|99|');
  assert.deepEqual(codec.decode(Buffer.from(forged, 'latin1').toString('base64'), 'abc', NOW), {
    ok: false,
    reason: 'invalid',
  });
  for (const junk of ['', '!!!', 'AAAA', 'x'.repeat(1001)]) assert.equal(codec.decode(junk, 'abc', NOW).ok, false);
});

test('generated devices have unique 12-character Apple-alphabet serials and consistent family, OS and colours', () => {
  const generator = new DeviceGenerator();
  const serials = new Set<string>();
  const families = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const device = generator.next();
    assert.match(device.serial, /^[0-9A-HJ-NP-Z]{12}$/);
    serials.add(device.serial);
    families.add(device.deviceFamily);
    const model = catalogModels().find((entry) => entry.model === device.model);
    assert.ok(model && model.family === device.deviceFamily && model.colors.includes(device.color));
  }
  assert.ok(serials.size >= 19_999, 'collisions are vanishingly rare (and handled by the store)');
  assert.deepEqual([...families].sort(), [...DEVICE_FAMILIES].sort());
});
