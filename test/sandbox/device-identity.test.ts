// A simulated device's factory identity: a key and a certificate from the sandbox device CA
// (the stand-in for Apple's iPhone Device CA), checked with OpenSSL, never with the code that
// made them.
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { sandboxDeviceCaCertificate, sandboxPlugin } from '../../src/sandbox/index.js';
import { openSqliteDatabase } from '../../src/store/sqlite-driver.js';
import { PUBLIC_URL, TestClock, portal, runOpenssl, startSandbox, tempDataDir, type Sandbox } from './support.js';

const UDID = /^[0-9A-F]{8}-[0-9A-F]{16}$/;

/** `openssl verify` of `certificatePem` against `caPem` alone; resolves to OpenSSL's output. */
async function opensslVerify(dir: string, caPem: string, certificatePem: string, extra: string[] = []) {
  const ca = path.join(dir, 'ca.pem');
  const leaf = path.join(dir, 'leaf.pem');
  fs.writeFileSync(ca, caPem);
  fs.writeFileSync(leaf, certificatePem);
  return (await runOpenssl(['verify', '-CAfile', ca, ...extra, leaf])).toString().trim();
}

async function opensslText(certificatePem: string): Promise<string> {
  return (await runOpenssl(['x509', '-noout', '-text', '-nameopt', 'RFC2253'], Buffer.from(certificatePem))).toString();
}

/** The SubjectPublicKeyInfo OpenSSL derives from a certificate or a private key, as PEM. */
async function opensslPublicKey(pem: string, kind: 'certificate' | 'private'): Promise<string> {
  const args = kind === 'certificate' ? ['x509', '-noout', '-pubkey'] : ['pkey', '-pubout'];
  return (await runOpenssl(args, Buffer.from(pem))).toString();
}

describe('device factory identity', () => {
  let sandbox: Sandbox;
  let scratch: string;
  let serials: string[];

  before(async () => {
    sandbox = await startSandbox();
    scratch = tempDataDir();
    serials = (await portal(sandbox, 'POST', '/devices', { count: 6, family: 'iPhone' })).json()['serials'];
  });
  after(async () => {
    await sandbox.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('a device gets an EC P-256 key and a certificate that OpenSSL verifies against the sandbox device CA alone', async () => {
    const serial = serials[0] ?? '';
    const response = await portal(sandbox, 'POST', `/devices/${serial}/identity`);
    assert.equal(response.status, 200);
    const identity = response.json();
    assert.deepEqual(Object.keys(identity).sort(), ['caCertificatePem', 'certificatePem', 'privateKeyPem', 'udid']);
    assert.match(identity['udid'], UDID);
    assert.match(identity['udid'], /^00008110-00/, 'an iPhone UDID: its chip id, then an ECID with leading zeros');

    assert.equal(
      await opensslVerify(scratch, identity['caCertificatePem'], identity['certificatePem']),
      `${path.join(scratch, 'leaf.pem')}: OK`,
    );
    // Usable as a TLS/CMS client identity, as a device identity is.
    assert.match(
      await opensslVerify(scratch, identity['caCertificatePem'], identity['certificatePem'], ['-purpose', 'sslclient']),
      /: OK$/,
    );

    const text = await opensslText(identity['certificatePem']);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.match(
      text,
      new RegExp(`Subject: serialNumber=${serial},CN=${identity['udid']},OU=iPhone,O=Orchard Sandbox,C=US`),
    );
    assert.match(text, /Issuer: CN=Orchard Sandbox Device CA,/);
    assert.equal(
      await opensslPublicKey(identity['privateKeyPem'], 'private'),
      await opensslPublicKey(identity['certificatePem'], 'certificate'),
      'the private key is the certificate key’s other half',
    );
    const caText = await opensslText(identity['caCertificatePem']);
    assert.match(
      caText,
      /Subject: CN=Orchard Sandbox Device CA,OU=Orchard Sandbox Certification Authority,O=Orchard Sandbox,C=US/,
    );
    assert.match(caText, /CA:TRUE/);
  });

  test('asking again returns the same identity, and the device details show the same UDID', async () => {
    const serial = serials[1] ?? '';
    const first = (await portal(sandbox, 'POST', `/devices/${serial}/identity`)).json();
    const [second, third] = await Promise.all([
      portal(sandbox, 'POST', `/devices/${serial}/identity`),
      portal(sandbox, 'POST', `/devices/${serial.toLowerCase()}/identity`),
    ]);
    assert.deepEqual(second.json(), first);
    assert.deepEqual(third.json(), first);
    assert.equal((await portal(sandbox, 'GET', `/devices/${serial}`)).json()['udid'], first['udid']);
  });

  test('two devices asked for at once each get their own identity, and UDIDs differ', async () => {
    const answers = await Promise.all(
      [serials[2], serials[3]].flatMap((serial) => [
        portal(sandbox, 'POST', `/devices/${serial}/identity`),
        portal(sandbox, 'POST', `/devices/${serial}/identity`),
      ]),
    );
    const [a1, a2, b1, b2] = answers.map((answer) => answer.json());
    assert.deepEqual(a1, a2, 'concurrent first calls for one device agree');
    assert.deepEqual(b1, b2);
    assert.notEqual(a1?.['udid'], b1?.['udid']);
    assert.notEqual(a1?.['certificatePem'], b1?.['certificatePem']);
  });

  test('with publicKeyPem the CA certifies that key, answers no private key, and that identity replaces the stored one', async () => {
    const serial = serials[4] ?? '';
    const generated = (await portal(sandbox, 'POST', `/devices/${serial}/identity`)).json();
    const privatePem = (
      await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])
    ).toString();
    const publicPem = await opensslPublicKey(privatePem, 'private');

    const brought = await portal(sandbox, 'POST', `/devices/${serial}/identity`, { publicKeyPem: publicPem });
    assert.equal(brought.status, 200);
    const identity = brought.json();
    assert.equal(identity['privateKeyPem'], null);
    assert.equal(identity['udid'], generated['udid'], 'a new key does not change the UDID');
    assert.equal(await opensslPublicKey(identity['certificatePem'], 'certificate'), publicPem);
    assert.match(await opensslVerify(scratch, identity['caCertificatePem'], identity['certificatePem']), /: OK$/);

    const again = (await portal(sandbox, 'POST', `/devices/${serial}/identity`)).json();
    assert.deepEqual(again, identity, 'the stored identity is now the one for the brought key');
    const sameKey = (await portal(sandbox, 'POST', `/devices/${serial}/identity`, { publicKeyPem: publicPem })).json();
    assert.equal(sameKey['certificatePem'], identity['certificatePem'], 'the same key again: the same certificate');

    // An RSA key from a pool works too.
    const rsaPrivate = (
      await runOpenssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'])
    ).toString();
    const rsaPublic = await opensslPublicKey(rsaPrivate, 'private');
    const rsa = (await portal(sandbox, 'POST', `/devices/${serial}/identity`, { publicKeyPem: rsaPublic })).json();
    assert.equal(await opensslPublicKey(rsa['certificatePem'], 'certificate'), rsaPublic);
  });

  test('a private key, a weak key, or text that is no key is refused with 400 PUBLIC_KEY_INVALID and changes nothing', async () => {
    const serial = serials[5] ?? '';
    const before = (await portal(sandbox, 'POST', `/devices/${serial}/identity`)).json();
    const privatePem = (
      await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])
    ).toString();
    const weak = await opensslPublicKey(
      (await runOpenssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'])).toString(),
      'private',
    );
    const ed25519 = await opensslPublicKey(
      (await runOpenssl(['genpkey', '-algorithm', 'ED25519'])).toString(),
      'private',
    );
    for (const publicKeyPem of [privatePem, weak, ed25519, 'not a key', '', 42]) {
      const response = await portal(sandbox, 'POST', `/devices/${serial}/identity`, { publicKeyPem });
      assert.equal(response.status, 400, String(publicKeyPem).slice(0, 30));
      assert.equal(response.json()['code'], 'PUBLIC_KEY_INVALID');
      assert.equal(typeof response.json()['message'], 'string');
    }
    const notAnObject = await portal(sandbox, 'POST', `/devices/${serial}/identity`, ['x']);
    assert.equal(notAnObject.status, 400);
    assert.equal(notAnObject.json()['code'], 'MALFORMED_BODY');
    assert.deepEqual((await portal(sandbox, 'POST', `/devices/${serial}/identity`)).json(), before);
  });

  test('an unknown serial is 404 DEVICE_NOT_FOUND for identity, activation and details', async () => {
    for (const [method, url] of [
      ['POST', '/devices/NOSUCHSERIAL1/identity'],
      ['POST', '/devices/NOSUCHSERIAL1/activation'],
      ['GET', '/devices/NOSUCHSERIAL1'],
    ] as const) {
      const response = await portal(sandbox, method, url);
      assert.equal(response.status, 404, url);
      assert.equal(response.json()['code'], 'DEVICE_NOT_FOUND');
      assert.match(response.json()['message'], /NOSUCHSERIAL1/);
    }
  });
});

describe('the device CA', () => {
  test('device-ca.pem is public while the portal API refuses a visitor who is not signed in, and it is sandboxDeviceCaCertificate’s CA', async () => {
    const dataDir = tempDataDir();
    const app = Fastify({ logger: false });
    try {
      await app.register(sandboxPlugin, {
        prefix: '/sandbox',
        dataDir,
        clock: new TestClock().now,
        publicUrl: PUBLIC_URL,
        portalAccess: {
          signInUrl: '/login',
          identify: async () => ({ kind: 'refused', status: 401, code: 'UNAUTHENTICATED', message: 'Sign in.' }),
        },
      });
      await app.ready();
      const pem = await app.inject({ method: 'GET', url: '/sandbox/abm/device-ca.pem' });
      assert.equal(pem.statusCode, 200);
      assert.match(String(pem.headers['content-type']), /^application\/x-pem-file/);
      assert.match(pem.body, /^-----BEGIN CERTIFICATE-----\n/);
      // Called while the plugin holds the database open, as the app wiring does.
      assert.equal(await sandboxDeviceCaCertificate({ dataDir }), pem.body);
      assert.equal(new X509Certificate(pem.body).ca, true);

      const identity = await app.inject({ method: 'POST', url: '/sandbox/abm/api/devices/ABCDEFGH1234/identity' });
      assert.equal(identity.statusCode, 401);
      assert.equal(identity.json()['code'], 'UNAUTHENTICATED');
      const activation = await app.inject({ method: 'POST', url: '/sandbox/abm/api/devices/ABCDEFGH1234/activation' });
      assert.equal(activation.statusCode, 401);
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a CA made by sandboxDeviceCaCertificate before the sandbox starts is the one the sandbox issues from', async () => {
    const dataDir = tempDataDir();
    const caPem = await sandboxDeviceCaCertificate({ dataDir, clock: new TestClock().now });
    const sandbox = await startSandbox({ dataDir });
    try {
      const [serial] = (await portal(sandbox, 'POST', '/devices', { count: 1 })).json()['serials'] as string[];
      const identity = (await portal(sandbox, 'POST', `/devices/${serial}/identity`)).json();
      assert.equal(identity['caCertificatePem'], caPem);
      assert.match(await opensslVerify(dataDir, caPem, identity['certificatePem']), /: OK$/);
    } finally {
      await sandbox.destroy();
    }
  });

  test('the CA and every factory identity survive a restart', async () => {
    const dataDir = tempDataDir();
    const clock = new TestClock();
    const first = await startSandbox({ dataDir, clock });
    const [serial] = (await portal(first, 'POST', '/devices', { count: 1 })).json()['serials'] as string[];
    const before = (await portal(first, 'POST', `/devices/${serial}/identity`)).json();
    const caBefore = (await first.app.inject({ method: 'GET', url: '/sandbox/abm/device-ca.pem' })).body;
    await first.close();
    const second = await startSandbox({ dataDir, clock });
    try {
      assert.deepEqual((await portal(second, 'POST', `/devices/${serial}/identity`)).json(), before);
      assert.equal((await second.app.inject({ method: 'GET', url: '/sandbox/abm/device-ca.pem' })).body, caBefore);
      assert.equal((await portal(second, 'GET', `/devices/${serial}`)).json()['udid'], before['udid']);
    } finally {
      await second.destroy();
    }
  });

  test('a sandbox.db from before device identities opens, keeps its devices and issues identities', async () => {
    const dataDir = tempDataDir();
    const first = await startSandbox({ dataDir });
    const [serial] = (await portal(first, 'POST', '/devices', { count: 1, family: 'Mac' })).json()[
      'serials'
    ] as string[];
    await first.close();
    // What an older Orchard left behind: everything but the two tables this version adds.
    const db = openSqliteDatabase(path.join(dataDir, 'sandbox.db'));
    db.exec('DROP TABLE device_identities; DROP TABLE device_ca;');
    db.close();

    const second = await startSandbox({ dataDir });
    try {
      const device = (await portal(second, 'GET', `/devices/${serial}`)).json();
      assert.equal(device['serialNumber'], serial);
      assert.match(device['udid'], /^00008112-/, 'a Mac UDID');
      const identity = (await portal(second, 'POST', `/devices/${serial}/identity`)).json();
      assert.equal(identity['udid'], device['udid']);
      assert.match(await opensslVerify(dataDir, identity['caCertificatePem'], identity['certificatePem']), /: OK$/);
      assert.equal(createPublicKey(identity['privateKeyPem']).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    } finally {
      await second.destroy();
    }
  });
});
