// The device side of the enrollment tests, made of Orchard's own CMS signer and SCEP client
// (the independent path, OpenSSL + scepclient, is independent-device.test.ts): a sandbox
// device with its factory identity, signed MachineInfo, the served profile read back with the
// `plist` package, a SCEP identity, signed check-ins and command answers; plus what the tests
// look at afterwards (the device, its commands and timeline, the rows MDM left).
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { build, parse } from 'plist';
import { signData } from '../../src/mdm/pki/cms-sign.js';
import { verifySignedData } from '../../src/mdm/pki/cms-verify.js';
import { certificatePem, type Identity } from '../../src/mdm/pki/identity.js';
import { buildPkcsReq, readCertRep } from '../../src/mdm/scep/client.js';
import type { Clock } from '../../src/domain/clock.js';
import { freePort } from '../helpers/cli.js';
import type { EnrollmentFixture } from '../helpers/enrollment.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';

export type PlistInput = Parameters<typeof build>[0];

const generateKeyPairAsync = promisify(generateKeyPair);

/** An XML plist as a device writes it (the `plist` package, not Orchard's builder). */
export const plistXml = (value: PlistInput): string => build(value);

// --- a sandbox device -----------------------------------------------------------------------

export interface FactoryDevice {
  readonly serial: string;
  readonly udid: string;
  /** The identity "Apple" gave the device (the sandbox device CA), which signs MachineInfo. */
  readonly factory: Identity;
  /** The profile URL the device got at activation: `<orchard>/mdm/enroll/<key>`. */
  readonly enrollUrl: string;
}

export async function factoryDevice(f: EnrollmentFixture, serial: string): Promise<FactoryDevice> {
  const identity = await json<Identity & { udid: string }>(f.sandbox(`/devices/${serial}/identity`, {}));
  const activation = await json<{ url: string }>(f.sandbox(`/devices/${serial}/activation`, {}));
  return {
    serial,
    udid: identity.udid,
    factory: { certificatePem: identity.certificatePem, privateKeyPem: identity.privateKeyPem },
    enrollUrl: activation.url,
  };
}

export function machineInfo(device: { serial: string; udid: string }, extra: Record<string, PlistInput> = {}) {
  return plistXml({
    UDID: device.udid,
    SERIAL: device.serial,
    PRODUCT: 'iPhone15,2',
    VERSION: '22B83',
    OS_VERSION: '18.1',
    LANGUAGE: 'en',
    ...extra,
  });
}

/** An attached CMS SignedData of `content` (MachineInfo as a device POSTs it). */
export function signAttached(content: string | Uint8Array, signer: Identity): Promise<Buffer> {
  return signData({ content: Buffer.from(content), signer, detached: false, now: new Date() });
}

/** `Mdm-Signature`: base64 of a detached CMS SignedData over the exact body. */
export async function mdmSignature(body: string | Uint8Array, signer: Identity): Promise<string> {
  return (await signData({ content: Buffer.from(body), signer, detached: true, now: new Date() })).toString('base64');
}

export function postMachineInfo(url: string, body: Uint8Array): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/pkcs7-signature' }, body });
}

export interface ServedProfile {
  readonly xml: string;
  readonly plist: Record<string, unknown>;
  readonly scep: Record<string, unknown>;
  readonly mdm: Record<string, unknown>;
  readonly challenge: string;
  readonly signer: X509Certificate;
}

/** The profile in a 200 answer: its CMS signature checked, its plist read with the `plist` package. */
export async function servedProfile(response: Response): Promise<ServedProfile> {
  const body = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, body.toString('utf8').slice(0, 500));
  assert.equal(response.headers.get('content-type'), 'application/x-apple-aspen-config');
  const verified = await verifySignedData(body);
  const xml = verified.content.toString('utf8');
  const plist = parse(xml) as Record<string, unknown>;
  const payloads = plist['PayloadContent'] as Array<Record<string, unknown>>;
  const scep = payloads.find((p) => p['PayloadType'] === 'com.apple.security.scep');
  const mdm = payloads.find((p) => p['PayloadType'] === 'com.apple.mdm');
  assert.ok(scep !== undefined && mdm !== undefined, 'a SCEP and an MDM payload');
  const content = scep['PayloadContent'] as Record<string, unknown>;
  return { xml, plist, scep, mdm, challenge: String(content['Challenge']), signer: verified.signer };
}

/** Asks for a profile with a signed MachineInfo and reads it. */
export async function requestProfile(device: FactoryDevice, extra: Record<string, PlistInput> = {}) {
  return servedProfile(
    await postMachineInfo(device.enrollUrl, await signAttached(machineInfo(device, extra), device.factory)),
  );
}

// --- SCEP -----------------------------------------------------------------------------------

export type ScepOutcome =
  | { readonly status: 'SUCCESS'; readonly identity: Identity }
  | { readonly status: 'FAILURE'; readonly failInfo: string }
  | { readonly status: 'PENDING' };

// RSA-2048 keys take a while to make (a CertRep is encrypted to the requester, so SCEP keys
// are RSA). The tests draw device keys from a small pool made once per process: identities
// still differ, since Orchard binds the certificate (its hash), not the key.
const POOL_SIZE = 4;
let keyPool: Promise<Array<{ publicKey: KeyObject; privateKey: KeyObject }>> | undefined;
let drawn = 0;
async function deviceKey() {
  keyPool ??= Promise.all(
    Array.from({ length: POOL_SIZE }, () => generateKeyPairAsync('rsa', { modulusLength: 2048 })),
  );
  const pool = await keyPool;
  drawn += 1;
  return pool[drawn % POOL_SIZE] as { publicKey: KeyObject; privateKey: KeyObject };
}

/** The SCEP exchange a device's SCEP payload makes: GetCACert, then a PKCSReq with the challenge. */
export async function scepEnroll(base: string, challenge: string, cn: string): Promise<ScepOutcome> {
  const caDer = Buffer.from(await (await fetch(`${base}/mdm/scep?operation=GetCACert`)).arrayBuffer());
  const caCertificatePem = certificatePem(caDer);
  const keyPair = await deviceKey();
  const request = await buildPkcsReq({ challenge, subject: [['CN', cn]], keyPair, caCertificatePem, now: new Date() });
  const response = await fetch(`${base}/mdm/scep?operation=PKIOperation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-pki-message' },
    body: request.message,
  });
  assert.equal(response.status, 200, 'a readable request gets a CertRep');
  const reading = await readCertRep(Buffer.from(await response.arrayBuffer()), {
    requesterPrivateKey: keyPair.privateKey,
    signerCertificate: request.signerIdentity.certificatePem,
    caCertificatePem,
    expected: { transactionId: request.transactionId, senderNonce: request.senderNonce },
  });
  if (reading.status !== 'SUCCESS') return reading;
  return {
    status: 'SUCCESS',
    identity: {
      certificatePem: certificatePem(reading.certificateDer),
      privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
  };
}

export async function scepIdentity(base: string, challenge: string, cn: string): Promise<Identity> {
  const outcome = await scepEnroll(base, challenge, cn);
  assert.equal(outcome.status, 'SUCCESS', JSON.stringify(outcome));
  return (outcome as { identity: Identity }).identity;
}

// --- check-ins and commands -----------------------------------------------------------------

/** PUT a body to /mdm/checkin or /mdm/connect, signed by `signer` unless a header is given. */
export async function putSigned(
  base: string,
  path: '/mdm/checkin' | '/mdm/connect',
  body: string | Uint8Array,
  signer: Identity | { header: string } | null,
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-apple-aspen-mdm-checkin' };
  if (signer !== null) headers['mdm-signature'] = 'header' in signer ? signer.header : await mdmSignature(body, signer);
  return fetch(`${base}${path}`, { method: 'PUT', headers, body });
}

export interface MdmDevice {
  readonly serial: string;
  readonly udid: string;
  readonly identity: Identity;
  readonly topic: string;
}

export const authenticateMessage = (d: { udid: string; serial: string; topic: string }) =>
  plistXml({
    MessageType: 'Authenticate',
    UDID: d.udid,
    Topic: d.topic,
    SerialNumber: d.serial,
    Model: 'iPhone15,2',
    ModelName: 'iPhone',
    DeviceName: 'Test iPhone',
    OSVersion: '18.1',
    BuildVersion: '22B83',
    ProductName: 'iPhone15,2',
  });

export const tokenUpdateMessage = (d: { udid: string; topic: string }, awaitingConfiguration: boolean) =>
  plistXml({
    MessageType: 'TokenUpdate',
    UDID: d.udid,
    Topic: d.topic,
    Token: Buffer.alloc(32, 7),
    PushMagic: 'B3F1C5C9-0000-4000-8000-000000000001',
    UnlockToken: Buffer.alloc(64, 3),
    AwaitingConfiguration: awaitingConfiguration,
  });

export const idleReport = (udid: string) => plistXml({ Status: 'Idle', UDID: udid });

export function answerReport(
  udid: string,
  commandUuid: string,
  status: string,
  extra: Record<string, PlistInput> = {},
) {
  return plistXml({ Status: status, UDID: udid, CommandUUID: commandUuid, ...extra });
}

/** A device answer for DeviceInformation, as an iPhone gives it. */
export const deviceInformationAnswer = (udid: string, commandUuid: string, serial: string) =>
  answerReport(udid, commandUuid, 'Acknowledged', {
    QueryResponses: {
      DeviceName: 'Reception iPhone',
      OSVersion: '18.1',
      BuildVersion: '22B83',
      ModelName: 'iPhone',
      ProductName: 'iPhone15,2',
      SerialNumber: serial,
    },
  });

/** What the command endpoint answered: the command it handed out, or nothing. */
export async function commandIn(response: Response): Promise<{ commandUuid: string; requestType: string } | null> {
  const text = await response.text();
  assert.equal(response.status, 200, text);
  if (text === '') return null;
  const value = parse(text) as { CommandUUID: string; Command: { RequestType: string } };
  return { commandUuid: value.CommandUUID, requestType: value.Command.RequestType };
}

/**
 * A device through profile, SCEP, Authenticate and TokenUpdate, every step asserted; it ends
 * enrolled with its first commands queued. `base` is where it talks (another instance, say).
 */
export async function enrollDevice(
  f: EnrollmentFixture,
  serial: string,
  o: { awaitingConfiguration?: boolean; base?: string } = {},
): Promise<MdmDevice> {
  const base = o.base ?? f.base;
  const device = await factoryDevice(f, serial);
  const profile = await requestProfile(device);
  const identity = await scepIdentity(base, profile.challenge, serial);
  const topic = String(profile.mdm['Topic']);
  const enrolled: MdmDevice = { serial, udid: device.udid, identity, topic };
  await expectStatus(putSigned(base, '/mdm/checkin', authenticateMessage(enrolled), identity), 200);
  await expectStatus(
    putSigned(base, '/mdm/checkin', tokenUpdateMessage(enrolled, o.awaitingConfiguration ?? true), identity),
    200,
  );
  return enrolled;
}

// --- looking at the result ------------------------------------------------------------------

export async function expectStatus(response: Response | Promise<Response>, status: number): Promise<string> {
  const r = await response;
  const text = await r.text();
  assert.equal(r.status, status, text.slice(0, 500));
  return text;
}

/** A refusal: its status and its problem+json code. */
export async function expectRefusal(response: Response | Promise<Response>, status: number, code: string) {
  const text = await expectStatus(response, status);
  assert.equal((JSON.parse(text) as { code?: string }).code, code, text);
  return JSON.parse(text) as { code: string; detail?: string };
}

export async function json<T>(response: Response | Promise<Response>): Promise<T> {
  const r = await response;
  const text = await r.text();
  if (!r.ok) throw new Error(`${r.status} ${r.url}: ${text}`);
  return JSON.parse(text) as T;
}

export const deviceOf = (f: EnrollmentFixture, serial: string) =>
  json<Record<string, unknown> & { enrollmentState: string }>(f.api(`/api/v1/devices/${serial}`));

export interface ApiCommand {
  readonly commandUuid: string;
  readonly requestType: string;
  readonly status: string;
  readonly errorChain: Array<{ code: number | null; domain: string | null; description: string | null }> | null;
}
export const commandsOf = async (f: EnrollmentFixture, serial: string) =>
  (await json<{ items: ApiCommand[] }>(f.api(`/api/v1/devices/${serial}/commands`))).items;

export const eventsOf = async (f: EnrollmentFixture, serial: string) =>
  (
    await json<{ items: Array<{ kind: string; outcome: string; detail: string | null }> }>(
      f.api(`/api/v1/devices/${serial}/enrollment-events`),
    )
  ).items;

/** The MDM rows a device has: profile requests (attempts), an enrollment, commands. */
export async function mdmRows(t: TestOrchard, serial: string) {
  const db = t.orchard.db.kysely;
  const count = async (table: 'enrollment_attempts' | 'mdm_enrollments' | 'mdm_commands') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('serial_number', '=', serial)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    attempts: await count('enrollment_attempts'),
    enrollments: await count('mdm_enrollments'),
    commands: await count('mdm_commands'),
  };
}

/** Refused and nothing recorded: still awaiting enrollment, no enrollment, no command. */
export async function assertNothingEnrolled(f: EnrollmentFixture, serial: string, attempts = 0): Promise<void> {
  assert.equal((await deviceOf(f, serial)).enrollmentState, 'awaiting_enrollment');
  assert.deepEqual(await mdmRows(f.t, serial), { attempts, enrollments: 0, commands: 0 });
}

// --- more tokens, more instances ------------------------------------------------------------

/** A second customer's token on the same Orchard, with `count` devices of its own, synced. */
export async function secondToken(
  f: EnrollmentFixture,
  count: number,
): Promise<{ tokenId: string; serials: string[] }> {
  const customer = await json<{ id: string }>(
    f.api('/api/v1/customers', { method: 'POST', body: JSON.stringify({ name: `Other Co ${Date.now()}` }) }),
  );
  const site = await json<{ id: string }>(
    f.api(`/api/v1/customers/${customer.id}/sites`, { method: 'POST', body: JSON.stringify({ name: 'Branch' }) }),
  );
  const token = await json<{ id: string }>(
    f.api('/api/v1/abm-tokens', { method: 'POST', body: JSON.stringify({ customerId: customer.id, siteId: site.id }) }),
  );
  const publicKeyPem = await (await f.api(`/api/v1/abm-tokens/${token.id}/public-key`)).text();
  const server = await json<{ id: string }>(f.sandbox('/mdm-servers', { name: `Other ${token.id}`, publicKeyPem }));
  const file = Buffer.from(await (await f.sandbox(`/mdm-servers/${server.id}/token`)).arrayBuffer());
  await json(
    f.api(`/api/v1/abm-tokens/${token.id}/token`, {
      method: 'PUT',
      body: file,
      headers: { 'content-type': 'application/octet-stream' },
    }),
  );
  const created = await json<{ serials: string[] }>(f.sandbox('/devices', { count }));
  await json(f.sandbox(`/mdm-servers/${server.id}/devices`, { serials: created.serials }));
  await syncAll(f);
  return { tokenId: token.id, serials: created.serials };
}

/** Syncs every token now (what *Sync now* does), and waits for it. */
export async function syncAll(f: EnrollmentFixture): Promise<void> {
  const tokens = await json<{ items: Array<{ id: string }> }>(f.api('/api/v1/abm-tokens'));
  for (const token of tokens.items) await f.t.api('POST', `/api/v1/abm-tokens/${token.id}/sync`);
  await f.t.orchard.sync.runUntilIdle();
}

export interface Instance {
  readonly t: TestOrchard;
  readonly base: string;
  close(): Promise<void>;
}

/** Another Orchard on the fixture's database (same SQLite file, or same PostgreSQL schema), on its own port. */
export async function anotherInstance(
  f: EnrollmentFixture,
  o: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<Instance> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t = await startTestOrchard(f.t.database.engine, {
    database: f.t.database,
    env: { ...o.env, ORCHARD_PUBLIC_URL: base, PORT: String(port) },
    ...(o.clock === undefined ? {} : { clock: o.clock }),
  });
  await t.app.listen({ host: '127.0.0.1', port });
  return { t, base, close: () => t.close() };
}
