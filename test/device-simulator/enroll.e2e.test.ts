// The simulator end to end, as an operator runs it: Orchard listening with the sandbox
// mounted (as `npm start` runs), a token connected in the sandbox ABM, devices assigned and
// synced, then the real `orchard device enroll` command enrolls them over HTTP — one by
// serial, the rest with --all --token — and Orchard's API shows each device enrolled with
// the name, OS and model it reported, released from Setup Assistant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simulatedDevice } from '../../src/device-simulator/device-model.js';
import { orchard } from '../helpers/cli.js';
import { TEST_API_KEY } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import {
  allDevices,
  connectToken,
  customerWithSites,
  json,
  startSyncOrchard,
  type SyncHarness,
} from '../sync/support.js';

for (const { engine, skip } of await engines()) {
  describe(`orchard device enroll against Orchard and the sandbox on ${engine}`, { skip }, () => {
    let h: SyncHarness;
    let token: { tokenId: string; serverId: string };
    let customer: { customerId: string; siteIds: string[] };
    const serials: Record<'iPhone' | 'iPad' | 'Mac', string[]> = { iPhone: [], iPad: [], Mac: [] };
    const cli = (args: string[]) => orchard(['device', 'enroll', ...args], { ORCHARD_API_KEY: TEST_API_KEY });

    before(async () => {
      h = await startSyncOrchard(engine);
      customer = await customerWithSites(h, 'Acme Corp', ['Main Office']);
      token = await connectToken(h, customer.customerId, customer.siteIds[0] ?? '', 'Acme MDM');
      for (const family of ['iPhone', 'iPad', 'Mac'] as const) {
        serials[family] = json(
          await h.portal('POST', '/devices', {
            count: family === 'iPhone' ? 4 : 2,
            family,
            mdmServerId: token.serverId,
          }),
          201,
        )['serials'];
      }
      await h.orchard.sync.runUntilIdle();
    });
    after(() => h.close());

    /** What the simulator will report for a serial: the same derivation from Apple's record. */
    const expected = async (serial: string) => {
      const record = json(await h.portal('GET', `/devices/${serial}`));
      return simulatedDevice(serial, record);
    };

    test('one iPhone enrolls by serial, every step printed, and shows enrolled with the name and OS it reported', async () => {
      const serial = serials.iPhone[0] ?? '';
      const run = await cli(['--serial', serial, '--orchard', h.base]);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      for (const step of [
        'lookup',
        'identity',
        'activation',
        'profile',
        'scep',
        'authenticate',
        'token-update',
        'commands',
      ])
        assert.match(run.stdout, new RegExp(`✓ ${step}`), run.stdout);
      assert.match(run.stdout, /DeviceInformation Acknowledged/);
      assert.match(run.stdout, /DeviceConfigured Acknowledged/);

      const want = await expected(serial);
      const device = json(await h.api('GET', `/api/v1/devices/${serial}`));
      assert.equal(device['enrollmentState'], 'enrolled', JSON.stringify(device));
      assert.ok(device['enrolledAt']);
      assert.equal(device['udid'], want.udid);
      assert.equal(device['deviceName'], want.deviceName);
      assert.equal(device['osVersion'], want.osVersion);
      assert.equal(device['buildVersion'], want.buildVersion);
      assert.equal(device['modelName'], 'iPhone');
      assert.equal(device['productName'], want.productName);
      assert.ok(device['setupReleasedAt'], 'released from Setup Assistant');
      assert.equal(device['customerName'], 'Acme Corp');
      assert.equal(device['siteName'], 'Main Office');

      const commands = json(await h.api('GET', `/api/v1/devices/${serial}/commands`));
      const list = (commands['items'] ?? commands) as Array<Record<string, unknown>>;
      const byType = new Map(list.map((c) => [c['requestType'], c['status']]));
      assert.equal(byType.get('DeviceInformation'), 'acknowledged', JSON.stringify(list));
      assert.equal(byType.get('DeviceConfigured'), 'acknowledged', JSON.stringify(list));

      // Apple saw the device fetch its profile, and the next sync says so.
      assert.equal(json(await h.portal('GET', `/devices/${serial}`))['profileStatus'], 'pushed');
      json(await h.api('POST', `/api/v1/abm-tokens/${token.tokenId}/sync`), 202);
      await h.orchard.sync.runUntilIdle();
      assert.equal(json(await h.api('GET', `/api/v1/devices/${serial}`))['profileStatus'], 'pushed');
    });

    test('--all --token enrolls every other assigned device with a summary, and each shows enrolled under the token’s site', async () => {
      const run = await cli([
        '--all',
        '--token',
        token.tokenId,
        '--concurrency',
        '4',
        '--orchard',
        h.base,
        '--key-pool',
        '2',
      ]);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /enrolling 7 devices of token/);
      assert.match(run.stdout, /enrolled 7 of 7 in .* enrollments\/s/);
      assert.match(run.stderr, /key pool: 2 RSA 2048 key pairs .* reused round-robin/);

      const devices = await allDevices(h, `abmTokenId=${token.tokenId}`);
      assert.equal(devices.length, 8);
      for (const d of devices) {
        const want = await expected(d['serialNumber']);
        assert.equal(d['enrollmentState'], 'enrolled', d['serialNumber']);
        assert.deepEqual(
          [d['deviceName'], d['osVersion'], d['modelName'], d['productName'], d['siteName']],
          [want.deviceName, want.osVersion, want.modelName, want.productName, 'Main Office'],
        );
        assert.ok(d['setupReleasedAt'], `${d['serialNumber']} released from Setup Assistant`);
      }
      const macs = devices.filter((d) => serials.Mac.includes(d['serialNumber']));
      assert.ok(
        macs.every((d) => /^(MacBook|iMac|Mac )/.test(d['modelName'])),
        JSON.stringify(macs.map((d) => d['modelName'])),
      );

      const again = await cli(['--all', '--token', token.tokenId, '--orchard', h.base]);
      assert.equal(again.code, 0, again.stdout);
      assert.match(again.stdout, /enrolling 0 devices/, 'nothing is left to enroll');
    });

    test('a device Apple has not assigned to any MDM server fails at activation, naming the sandbox’s answer, exit code 1', async () => {
      const [loose] = json(await h.portal('POST', '/devices', { count: 1, family: 'iPhone' }), 201)['serials'];
      const run = await cli(['--serial', loose, '--orchard', h.base]);
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stdout, /✗ activation/);
      assert.match(run.stdout, /failed at activation: NOT_ASSIGNED/);
      assert.match(run.stdout, /response: 409/);
    });

    test('--serial and --all together are refused with one line naming the options', async () => {
      const run = await cli(['--serial', 'X', '--all', '--token', token.tokenId, '--orchard', h.base]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /orchard: --serial or --all --token ID: give exactly one/);
    });
  });
}
