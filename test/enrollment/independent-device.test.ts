// A device made only of independent tools enrolls in Orchard: OpenSSL signs its MachineInfo
// with the factory identity the sandbox (as Apple) gave it, OpenSSL verifies the profile
// Orchard serves, micromdm's scepclient (Debian's `scep`) gets the MDM identity, and OpenSSL
// signs every check-in and command answer. No Orchard code runs on the device side.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { engines } from '../helpers/services.js';
import { opensslDir, type OpensslDir } from '../mdm/pki/support.js';
import { SCEPCLIENT, run, scepToolSkipReason } from '../mdm/scep/support.js';

const plist = (entries: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict>${entries}</dict></plist>\n`;
const str = (key: string, value: string) => `<key>${key}</key><string>${value}</string>`;
const data = (key: string, value: Buffer) => `<key>${key}</key><data>${value.toString('base64')}</data>`;

/** The one value of a key in an XML plist, read with a regular expression: no plist library of ours. */
function plistString(xml: string, key: string): string {
  const match = new RegExp(`<key>${key}</key>\\s*<string>([^<]*)</string>`).exec(xml);
  assert.ok(match, `${key} in ${xml.slice(0, 2000)}`);
  return (match[1] ?? '').replace(/&amp;/g, '&');
}

for (const { engine, skip } of await engines()) {
  describe(
    `an OpenSSL + scepclient device enrolls (${engine})`,
    { skip: skip ?? scepToolSkipReason(SCEPCLIENT) },
    () => {
      let f: EnrollmentFixture;
      let dir: OpensslDir;
      let serial: string;
      let udid: string;
      let enrollUrl: string;

      before(async () => {
        f = await enrollmentFixture(engine, { devices: 2 });
        dir = await opensslDir('orchard-device-');
        serial = f.serials[0] as string;
        const identity = (await (await f.sandbox(`/devices/${serial}/identity`, {})).json()) as {
          certificatePem: string;
          privateKeyPem: string;
          udid: string;
        };
        udid = identity.udid;
        await dir.write('factory.pem', identity.certificatePem);
        await dir.write('factory.key', identity.privateKeyPem);
        const activation = (await (await f.sandbox(`/devices/${serial}/activation`, {})).json()) as { url: string };
        enrollUrl = activation.url;
      });
      after(async () => {
        await f.close();
        await dir.remove();
      });

      /** `openssl cms -sign` over `content`: attached (MachineInfo) or detached (Mdm-Signature). */
      const opensslSign = async (name: string, content: string, cert: string, key: string, detached: boolean) => {
        await dir.write(`${name}.in`, content);
        const mode = detached ? [] : ['-nodetach'];
        await dir.run([
          'cms',
          '-sign',
          '-binary',
          ...mode,
          '-outform',
          'DER',
          '-signer',
          cert,
          '-inkey',
          key,
          '-in',
          `${name}.in`,
          '-out',
          `${name}.der`,
        ]);
        return dir.read(`${name}.der`);
      };
      const signAttached = (name: string, content: string, cert: string, key: string) =>
        opensslSign(name, content, cert, key, false);
      const signDetached = async (name: string, body: string, cert: string, key: string) =>
        (await opensslSign(name, body, cert, key, true)).toString('base64');
      const machineInfo = (forSerial: string, forUdid: string) =>
        plist(
          str('UDID', forUdid) +
            str('SERIAL', forSerial) +
            str('PRODUCT', 'iPhone15,2') +
            str('VERSION', '22B83') +
            str('OS_VERSION', '18.1') +
            str('LANGUAGE', 'en'),
        );
      const put = async (path: string, body: string, signature?: string) =>
        fetch(`${f.base}${path}`, {
          method: 'PUT',
          headers: {
            'content-type': 'application/x-apple-aspen-mdm-checkin',
            ...(signature === undefined ? {} : { 'mdm-signature': signature }),
          },
          body,
        });

      test('the whole enrollment: profile, SCEP, Authenticate, TokenUpdate, DeviceInformation, DeviceConfigured', async () => {
        // 1. MachineInfo, signed by the factory identity, POSTed to the profile URL Apple gave.
        const signedInfo = await signAttached('machineinfo', machineInfo(serial, udid), 'factory.pem', 'factory.key');
        const served = await fetch(enrollUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/pkcs7-signature' },
          body: signedInfo,
        });
        assert.equal(served.status, 200, await served.clone().text());
        assert.equal(served.headers.get('content-type'), 'application/x-apple-aspen-config');
        await dir.write('profile.p7s', Buffer.from(await served.arrayBuffer()));

        // 2. OpenSSL checks the profile's signature, against the signer certificate it carries.
        await dir.run(['pkcs7', '-inform', 'DER', '-in', 'profile.p7s', '-print_certs', '-out', 'signer.pem']);
        await dir.run([
          'smime',
          '-verify',
          '-inform',
          'DER',
          '-in',
          'profile.p7s',
          '-CAfile',
          'signer.pem',
          '-purpose',
          'any',
          '-out',
          'profile.plist',
        ]);
        const profile = await dir.readText('profile.plist');
        assert.match(profile, /<string>com\.apple\.security\.scep<\/string>/);
        assert.match(profile, /<string>com\.apple\.mdm<\/string>/);
        assert.match(profile, /<key>AccessRights<\/key>\s*<integer>8191<\/integer>/);
        assert.match(profile, /<key>SignMessage<\/key>\s*<true\/>/);
        assert.match(profile, /<key>CheckOutWhenRemoved<\/key>\s*<true\/>/);
        assert.match(profile, /<key>Keysize<\/key>\s*<integer>2048<\/integer>/);
        const challenge = plistString(profile, 'Challenge');
        const scepUrl = plistString(profile, 'URL');
        const checkInUrl = plistString(profile, 'CheckInURL');
        const serverUrl = plistString(profile, 'ServerURL');
        const topic = plistString(profile, 'Topic');
        assert.equal(scepUrl, `${f.base}/mdm/scep`);
        assert.match(topic, /^com\.apple\.mgmt\./);

        let device = (await (await f.api(`/api/v1/devices/${serial}`)).json()) as Record<string, unknown>;
        assert.equal(device['enrollmentState'], 'enrolling');

        // 3. scepclient makes a key, sends the CSR with the challenge, and gets the identity.
        const scepDir = join(dir.path, 'scep');
        await mkdir(scepDir);
        const scep = await run(
          SCEPCLIENT,
          ['-server-url', scepUrl, '-private-key', join(scepDir, 'key.pem'), '-cn', serial, '-challenge', challenge],
          { cwd: scepDir },
        );
        assert.equal(scep.code, 0, `${scep.stdout}${scep.stderr}`);
        const identityCert = join(scepDir, 'client.pem');
        const identityKey = join(scepDir, 'key.pem');

        // The challenge works once: a second scepclient run with it gets no certificate.
        const againDir = join(dir.path, 'scep-again');
        await mkdir(againDir);
        const again = await run(
          SCEPCLIENT,
          ['-server-url', scepUrl, '-private-key', join(againDir, 'key.pem'), '-cn', serial, '-challenge', challenge],
          { cwd: againDir },
        );
        assert.notEqual(again.code, 0, 'a used challenge must not give a second certificate');

        // 4. Authenticate and TokenUpdate, each signed (detached) by the SCEP identity.
        const authenticate = plist(
          str('MessageType', 'Authenticate') +
            str('UDID', udid) +
            str('Topic', topic) +
            str('SerialNumber', serial) +
            str('Model', 'iPhone15,2') +
            str('ModelName', 'iPhone') +
            str('DeviceName', 'iPhone') +
            str('OSVersion', '18.1') +
            str('BuildVersion', '22B83') +
            str('ProductName', 'iPhone15,2'),
        );
        let res = await put(
          new URL(checkInUrl).pathname,
          authenticate,
          await signDetached('auth', authenticate, identityCert, identityKey),
        );
        assert.equal(res.status, 200, await res.text());
        const tokenUpdate = plist(
          str('MessageType', 'TokenUpdate') +
            str('UDID', udid) +
            str('Topic', topic) +
            data('Token', Buffer.alloc(32, 7)) +
            str('PushMagic', 'B3F1C5C9-0000-4000-8000-000000000001') +
            data('UnlockToken', Buffer.alloc(64, 3)) +
            '<key>AwaitingConfiguration</key><true/>',
        );
        res = await put(
          new URL(checkInUrl).pathname,
          tokenUpdate,
          await signDetached('token', tokenUpdate, identityCert, identityKey),
        );
        assert.equal(res.status, 200, await res.text());

        device = (await (await f.api(`/api/v1/devices/${serial}`)).json()) as Record<string, unknown>;
        assert.equal(device['enrollmentState'], 'enrolled');
        assert.equal(device['udid'], udid);
        assert.ok(device['enrolledAt']);

        // 5. The command endpoint: Idle → DeviceInformation → DeviceConfigured → nothing more.
        const serverPath = new URL(serverUrl).pathname;
        const idle = plist(str('Status', 'Idle') + str('UDID', udid));
        res = await put(serverPath, idle, await signDetached('idle', idle, identityCert, identityKey));
        assert.equal(res.status, 200);
        let command = await res.text();
        assert.match(command, /<string>DeviceInformation<\/string>/);
        let commandUuid = plistString(command, 'CommandUUID');
        const info = plist(
          str('Status', 'Acknowledged') +
            str('UDID', udid) +
            str('CommandUUID', commandUuid) +
            `<key>QueryResponses</key><dict>${str('DeviceName', 'Reception iPhone')}${str('OSVersion', '18.1')}${str('BuildVersion', '22B83')}${str('ModelName', 'iPhone')}${str('ProductName', 'iPhone15,2')}${str('SerialNumber', serial)}${str('WiFiMAC', 'a4:83:e7:00:00:01')}</dict>`,
        );
        res = await put(serverPath, info, await signDetached('info', info, identityCert, identityKey));
        assert.equal(res.status, 200);
        command = await res.text();
        assert.match(command, /<string>DeviceConfigured<\/string>/);
        commandUuid = plistString(command, 'CommandUUID');
        const configured = plist(str('Status', 'Acknowledged') + str('UDID', udid) + str('CommandUUID', commandUuid));
        res = await put(
          serverPath,
          configured,
          await signDetached('configured', configured, identityCert, identityKey),
        );
        assert.equal(res.status, 200);
        assert.equal(await res.text(), '', 'nothing more is queued');

        device = (await (await f.api(`/api/v1/devices/${serial}`)).json()) as Record<string, unknown>;
        assert.equal(device['deviceName'], 'Reception iPhone');
        assert.equal(device['osVersion'], '18.1');
        assert.ok(device['setupReleasedAt'], 'released from Setup Assistant');
        assert.equal(device['customerId'], f.customerId);
        assert.equal(device['siteId'], f.siteId);

        const commands = (await (await f.api(`/api/v1/devices/${serial}/commands`)).json()) as {
          items: Array<{ requestType: string; status: string }>;
        };
        assert.deepEqual(
          commands.items.map((c) => [c.requestType, c.status]),
          [
            ['DeviceConfigured', 'acknowledged'],
            ['DeviceInformation', 'acknowledged'],
          ],
        );
        const events = (await (await f.api(`/api/v1/devices/${serial}/enrollment-events`)).json()) as {
          items: Array<{ kind: string }>;
        };
        const kinds = events.items.map((e) => e.kind).reverse();
        for (const kind of ['profile_served', 'identity_issued', 'authenticated', 'enrolled', 'released']) {
          assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
        }
        assert.ok(kinds.includes('identity_refused'), 'the replayed challenge is on the timeline');

        // 6. Check-ins signed by nothing, or by the factory identity (not issued by Orchard), are refused — never with 401.
        res = await put('/mdm/checkin', authenticate);
        assert.equal(res.status, 403, await res.clone().text());
        assert.equal(((await res.json()) as { code: string }).code, 'CHECKIN_SIGNATURE_INVALID');
        res = await put('/mdm/connect', idle, await signDetached('factory-signed', idle, 'factory.pem', 'factory.key'));
        assert.equal(res.status, 403, await res.clone().text());
        assert.equal(((await res.json()) as { code: string }).code, 'CHECKIN_SIGNATURE_INVALID');
      });

      test('the second device cannot use the first one’s identity, nor ask with another token’s serial', async () => {
        const other = f.serials[1] as string;
        const identity = (await (await f.sandbox(`/devices/${other}/identity`, {})).json()) as {
          certificatePem: string;
          privateKeyPem: string;
          udid: string;
        };
        await dir.write('other.pem', identity.certificatePem);
        await dir.write('other.key', identity.privateKeyPem);
        // A serial this token does not have: refused, nothing recorded as enrolling.
        const stranger = await signAttached(
          'stranger',
          machineInfo('C0NOTONTOKEN', identity.udid),
          'other.pem',
          'other.key',
        );
        const res = await fetch(enrollUrl, { method: 'POST', body: stranger });
        assert.equal(res.status, 403, await res.clone().text());
        assert.equal(((await res.json()) as { code: string }).code, 'DEVICE_NOT_ON_TOKEN');
        const device = (await (await f.api(`/api/v1/devices/${other}`)).json()) as Record<string, unknown>;
        assert.equal(device['enrollmentState'], 'awaiting_enrollment');
      });
    },
  );
}
