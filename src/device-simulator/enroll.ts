/**
 * Automated Device Enrollment as a device performs it, over real HTTP (apple-protocols.md §3):
 *
 *   lookup → identity → activation        Apple (the sandbox): record, factory identity, DEP profile
 *   profile                               POST signed MachineInfo to the profile url, verify the answer
 *   scep                                  GetCACert, PKIOperation with the profile's challenge
 *   authenticate → token-update           PUT CheckInURL, each signed (Mdm-Signature)
 *   commands                              PUT ServerURL: Idle, then answer each command until released
 *
 * Every step is timed; the first failure ends the run with a typed EnrollmentStepError naming
 * the step and the server's answer. Nothing here retries: a real device would, but the point
 * is to see the server's first answer.
 */
import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Identity, certificatePem } from '../mdm/pki/identity.js';
import { buildPkcsReq, readCertRep } from '../mdm/scep/client.js';
import { readCertificatesOnly } from '../mdm/scep/degenerate.js';
import { ScepError } from '../mdm/scep/errors.js';
import { activate, appleRecord, factoryIdentity, type ActivationProfile, type AppleClient } from './apple.js';
import {
  CommandReadError,
  answerCommand,
  authenticateBody,
  idleBody,
  newPushCredentials,
  readCommand,
  tokenUpdateBody,
  type CommandOutcome,
} from './device-messages.js';
import { simulatedDevice, type SimulatedDevice } from './device-model.js';
import { EnrollmentStepError, type EnrollmentStep } from './errors.js';
import { Transport, answerOf, exchange, jsonOf, type Exchange, type Fetch } from './http.js';
import { FRESH_KEYS, type KeySource } from './key-pool.js';
import { signedMachineInfo } from './machine-info.js';
import { DeviceSigner } from './mdm-signature.js';
import { ProfileError, readEnrollmentProfile, type EnrollmentProfileReading } from './profile-reader.js';

export interface EnrollDeviceOptions {
  readonly serial: string;
  /** Orchard's base URL; the device itself only follows the URLs Apple and the profile give it. */
  readonly orchardUrl: string;
  /** The sandbox base (`{orchard}/sandbox` when mounted in Orchard). */
  readonly sandboxUrl: string;
  /** Bearer key for the sandbox portal when it is mounted in Orchard; never sent to MDM endpoints. */
  readonly apiKey?: string;
  /** Where the SCEP key comes from: a fresh RSA 2048 key (default) or a pre-generated pool. */
  readonly keyPool?: KeySource;
  readonly fetch?: Fetch;
  readonly now?: () => Date;
  readonly onStep?: (record: StepRecord) => void;
  /** How long to keep polling the command endpoint for DeviceConfigured (default 60 s). */
  readonly pollTimeoutMs?: number;
  /** Per request (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Send MDM_CAN_REQUEST_SOFTWARE_UPDATE in MachineInfo (default true, as iOS 17+ does). */
  readonly canRequestSoftwareUpdate?: boolean;
}

export interface StepRecord {
  readonly serial: string;
  readonly step: EnrollmentStep;
  readonly ms: number;
  readonly ok: boolean;
  /** What happened, in one line. */
  readonly detail: string;
}

export interface CommandRecord {
  readonly commandUuid: string;
  readonly requestType: string;
  readonly answered: CommandOutcome;
}

export type EnrollmentResult =
  | {
      readonly ok: true;
      readonly serial: string;
      readonly device: SimulatedDevice;
      readonly steps: readonly StepRecord[];
      readonly commands: readonly CommandRecord[];
      /** DeviceConfigured received (or the profile did not ask to await configuration). */
      readonly released: boolean;
      readonly totalMs: number;
      /** Requests sent again because the connection closed before any answer (see http.ts). */
      readonly connectionRetries: number;
    }
  | {
      readonly ok: false;
      readonly serial: string;
      readonly steps: readonly StepRecord[];
      readonly failure: EnrollmentStepError;
      readonly totalMs: number;
      readonly connectionRetries: number;
    };

const CHECKIN_TYPE = 'application/x-apple-aspen-mdm-checkin';
// What devices send to the command endpoint (nanomdm and MicroMDM see this type on /mdm/connect).
const CONNECT_TYPE = 'application/x-apple-aspen-mdm';

export async function enrollDevice(o: EnrollDeviceOptions): Promise<EnrollmentResult> {
  const serial = o.serial.trim().toUpperCase();
  const now = o.now ?? (() => new Date());
  const transport = new Transport(o.fetch ?? globalThis.fetch, o.requestTimeoutMs ?? 30_000);
  const keys = o.keyPool ?? FRESH_KEYS;
  const apple: AppleClient = {
    transport,
    sandboxUrl: o.sandboxUrl,
    ...(o.apiKey === undefined ? {} : { apiKey: o.apiKey }),
  };
  const steps: StepRecord[] = [];
  const started = performance.now();

  async function step<T>(name: EnrollmentStep, run: () => Promise<T>, detail: (value: T) => string): Promise<T> {
    const t0 = performance.now();
    try {
      const value = await run();
      record({ serial, step: name, ms: performance.now() - t0, ok: true, detail: detail(value) });
      return value;
    } catch (error) {
      const failure = asStepError(name, error);
      record({
        serial,
        step: name,
        ms: performance.now() - t0,
        ok: false,
        detail: `${failure.code}: ${failure.message}`,
      });
      throw failure;
    }
  }
  function record(r: StepRecord): void {
    steps.push(r);
    o.onStep?.(r);
  }

  try {
    const appleFacts = await step(
      'lookup',
      () => appleRecord(apple, serial),
      (r) => `Apple: ${r.model ?? 'unknown model'} (${r.deviceFamily ?? r.os ?? 'unknown family'})`,
    );
    const factory = await step(
      'identity',
      () => factoryIdentity(apple, serial),
      (f) => `factory identity ${new X509Certificate(f.certificatePem).subject.replace(/\n/g, ', ')}`,
    );
    const device = simulatedDevice(serial, { ...appleFacts, udid: factory.udid ?? appleFacts.udid ?? null });
    const activation = await step(
      'activation',
      () => activate(apple, serial),
      (a) =>
        `profile url ${a.url}${a.awaitDeviceConfigured ? ', await device configured' : ''}` +
        (a.url.startsWith(o.orchardUrl.replace(/\/+$/, '')) ? '' : ` (not under ${o.orchardUrl})`),
    );
    const profile = await step(
      'profile',
      () =>
        requestProfile({
          transport,
          url: activation.url,
          device,
          factory,
          now: now(),
          canRequestSoftwareUpdate: o.canRequestSoftwareUpdate ?? true,
        }),
      (p) =>
        `profile signed by ${p.signer.subject.replace(/\n/g, ', ')}; SCEP ${p.scep.url}, check-in ${p.mdm.checkInUrl}, topic ${p.mdm.topic}`,
    );
    const { signer } = await step(
      'scep',
      async () => {
        const identity = await obtainIdentity({ transport, profile, keys, now: now() });
        return { identity, signer: new DeviceSigner(identity) };
      },
      ({ identity }) => `identity ${new X509Certificate(identity.certificatePem).subject.replace(/\n/g, ', ')}`,
    );
    const checkIn = (messageStep: EnrollmentStep, body: string) =>
      signedPut({
        transport,
        step: messageStep,
        url: profile.mdm.checkInUrl,
        type: CHECKIN_TYPE,
        body,
        signer,
        now: now(),
      });
    await step(
      'authenticate',
      async () =>
        expectAccepted('authenticate', await checkIn('authenticate', authenticateBody(device, profile.mdm.topic))),
      () =>
        `${device.deviceName}, ${device.productName}, ${device.modelName} ${device.osVersion} (${device.buildVersion})`,
    );
    await step(
      'token-update',
      async () =>
        expectAccepted(
          'token-update',
          await checkIn(
            'token-update',
            tokenUpdateBody(device, profile.mdm.topic, newPushCredentials(), activation.awaitDeviceConfigured),
          ),
        ),
      () => (activation.awaitDeviceConfigured ? 'push token sent, awaiting configuration' : 'push token sent'),
    );
    const session = await step(
      'commands',
      () =>
        pollCommands({
          transport,
          url: profile.mdm.serverUrl,
          signer,
          device,
          activation,
          now,
          pollTimeoutMs: o.pollTimeoutMs ?? 60_000,
        }),
      (s) =>
        `${s.commands.map((c) => `${c.requestType} ${c.answered}`).join(', ') || 'no commands'}` +
        (activation.awaitDeviceConfigured ? (s.released ? '; released from Setup Assistant' : '') : ''),
    );
    return {
      ok: true,
      serial,
      device,
      steps,
      commands: session.commands,
      released: session.released,
      totalMs: performance.now() - started,
      connectionRetries: transport.retries,
    };
  } catch (error) {
    // Every step's error is already an EnrollmentStepError (see step()).
    if (!(error instanceof EnrollmentStepError)) throw error;
    return {
      ok: false,
      serial,
      steps,
      failure: error,
      totalMs: performance.now() - started,
      connectionRetries: transport.retries,
    };
  }
}

/**
 * Protocol-level refusals become the step's typed failure. Anything else is the simulator's own
 * fault (a bug, a key it could not make): still reported against the step, so one bad device
 * does not end a fleet run, but with a code that says whose fault it is.
 */
function asStepError(step: EnrollmentStep, error: unknown): EnrollmentStepError {
  if (error instanceof EnrollmentStepError) return error;
  if (error instanceof ProfileError)
    return new EnrollmentStepError(step, 'PROFILE_INVALID', `${error.code}: ${error.message}`);
  if (error instanceof ScepError)
    return new EnrollmentStepError(step, 'SCEP_REFUSED', `${error.code}: ${error.message}`);
  if (error instanceof CommandReadError) return new EnrollmentStepError(step, 'COMMAND_UNREADABLE', error.message);
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new EnrollmentStepError(step, 'SIMULATOR_ERROR', message);
}

async function requestProfile(o: {
  transport: Transport;
  url: string;
  device: SimulatedDevice;
  factory: Identity & { caCertificatePem: string };
  now: Date;
  canRequestSoftwareUpdate: boolean;
}): Promise<EnrollmentProfileReading> {
  const body = await signedMachineInfo({
    device: o.device,
    factoryIdentity: o.factory,
    chainPem: [o.factory.caCertificatePem],
    now: o.now,
    options: { canRequestSoftwareUpdate: o.canRequestSoftwareUpdate },
  });
  const x = await exchange(o.transport, 'profile', {
    method: 'POST',
    url: o.url,
    headers: { 'content-type': 'application/pkcs7-signature' },
    body,
  });
  if (x.status === 403) {
    const answer = jsonOf(x);
    const code =
      typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>)['code'] : undefined;
    if (code === 'com.apple.softwareupdate.required') {
      const details = (answer as Record<string, unknown>)['details'];
      const d = typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
      throw new EnrollmentStepError(
        'profile',
        'SOFTWARE_UPDATE_REQUIRED',
        `the server requires OS ${String(d['OSVersion'] ?? '(unnamed)')}${typeof d['BuildVersion'] === 'string' ? ` (${d['BuildVersion']})` : ''} before enrolling; this device runs ${o.device.osVersion} (${o.device.buildVersion})`,
        answerOf(x),
      );
    }
    throw new EnrollmentStepError(
      'profile',
      'ENROLLMENT_REFUSED',
      `the enrollment URL refused the device${typeof code === 'string' ? ` (${code})` : ''}`,
      answerOf(x),
    );
  }
  if (x.status === 404)
    throw new EnrollmentStepError('profile', 'ENROLLMENT_REFUSED', 'the enrollment URL is unknown (404)', answerOf(x));
  if (x.status !== 200) throw refusedAnswer('profile', 'UNEXPECTED_ANSWER', x, 'not a profile');
  // A device installs only what is labelled a configuration profile.
  if (mediaType(x) !== 'application/x-apple-aspen-config') {
    throw refusedAnswer(
      'profile',
      'UNEXPECTED_ANSWER',
      x,
      `Content-Type ${x.contentType ?? '(none)'}, not application/x-apple-aspen-config`,
    );
  }
  let profile: EnrollmentProfileReading;
  try {
    profile = await readEnrollmentProfile(x.body);
  } catch (error) {
    if (error instanceof ProfileError)
      throw new EnrollmentStepError('profile', 'PROFILE_INVALID', `${error.code}: ${error.message}`, answerOf(x));
    throw error;
  }
  // Without SignMessage a device proves its identity with a TLS client certificate instead;
  // over plain HTTP the simulator has only the Mdm-Signature, and Orchard promises it.
  if (!profile.mdm.signMessage) {
    throw new EnrollmentStepError(
      'profile',
      'PROFILE_INVALID',
      'com.apple.mdm SignMessage is not true: check-ins would need a TLS client identity',
      answerOf(x),
    );
  }
  return profile;
}

async function obtainIdentity(o: {
  transport: Transport;
  profile: EnrollmentProfileReading;
  keys: KeySource;
  now: Date;
}): Promise<Identity> {
  const { url, challenge, subject } = o.profile.scep;
  const caX = await exchange(o.transport, 'scep', {
    method: 'GET',
    url: withOperation(url, 'GetCACert'),
  });
  if (caX.status !== 200) throw refusedAnswer('scep', 'UNEXPECTED_ANSWER', caX, 'GetCACert gave no certificate');
  const caCertificatePem = caCertificateOf(caX);

  const keyPair = await o.keys.next();
  const request = await buildPkcsReq({ challenge, subject, keyPair, caCertificatePem, now: o.now });
  const x = await exchange(o.transport, 'scep', {
    method: 'POST',
    url: withOperation(url, 'PKIOperation'),
    headers: { 'content-type': 'application/x-pki-message' },
    body: request.message,
  });
  if (x.status !== 200) throw refusedAnswer('scep', 'SCEP_REFUSED', x, 'PKIOperation gave no CertRep');
  let reading;
  try {
    reading = await readCertRep(x.body, {
      requesterPrivateKey: keyPair.privateKey,
      signerCertificate: request.signerIdentity.certificatePem,
      caCertificatePem,
      expected: { transactionId: request.transactionId, senderNonce: request.senderNonce },
    });
  } catch (error) {
    if (error instanceof ScepError)
      throw new EnrollmentStepError('scep', 'SCEP_REFUSED', `${error.code}: ${error.message}`, answerOf(x));
    throw error;
  }
  if (reading.status === 'FAILURE')
    throw new EnrollmentStepError(
      'scep',
      'SCEP_REFUSED',
      `CertRep FAILURE (failInfo ${reading.failInfo})`,
      answerOf(x),
    );
  if (reading.status === 'PENDING')
    throw new EnrollmentStepError(
      'scep',
      'SCEP_REFUSED',
      'CertRep PENDING: the CA did not decide at once',
      answerOf(x),
    );
  return {
    certificatePem: certificatePem(reading.certificateDer),
    privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * GetCACert answers one DER certificate (x-x509-ca-cert) or, with an RA, a certificates-only
 * SignedData (x-x509-ca-ra-cert; RFC 8894 §4.2.1). This device encrypts to the CA itself.
 */
function caCertificateOf(x: Exchange): string {
  try {
    if (mediaType(x) === 'application/x-x509-ca-ra-cert') {
      const certificates = readCertificatesOnly(x.body).map((der) => new X509Certificate(der));
      const ca = certificates.find((c) => c.ca) ?? certificates[0];
      if (ca === undefined) throw new Error('no certificate');
      return ca.toString();
    }
    return new X509Certificate(x.body).toString();
  } catch {
    throw refusedAnswer('scep', 'UNEXPECTED_ANSWER', x, 'GetCACert is not a certificate');
  }
}

function withOperation(scepUrl: string, operation: string): string {
  const url = new URL(scepUrl);
  url.searchParams.set('operation', operation);
  return url.toString();
}

/** A check-in or command report, with the Mdm-Signature the profile's SignMessage asks for. */
async function signedPut(o: {
  transport: Transport;
  step: EnrollmentStep;
  url: string;
  type: string;
  body: string;
  signer: DeviceSigner;
  now: Date;
}): Promise<Exchange> {
  const bytes = Buffer.from(o.body, 'utf8');
  return exchange(o.transport, o.step, {
    method: 'PUT',
    url: o.url,
    headers: { 'content-type': o.type, 'mdm-signature': await o.signer.signatureHeader(bytes, o.now) },
    body: bytes,
  });
}

function expectAccepted(step: EnrollmentStep, x: Exchange): Exchange {
  if (x.status !== 200) throw refusedAnswer(step, 'CHECKIN_REFUSED', x, 'the check-in was not accepted');
  return x;
}

async function pollCommands(o: {
  transport: Transport;
  url: string;
  signer: DeviceSigner;
  device: SimulatedDevice;
  activation: ActivationProfile;
  now: () => Date;
  pollTimeoutMs: number;
}): Promise<{ commands: CommandRecord[]; released: boolean }> {
  const deadline = performance.now() + o.pollTimeoutMs;
  const commands: CommandRecord[] = [];
  let released = !o.activation.awaitDeviceConfigured;
  let body = idleBody(o.device);
  let idleWaitMs = 250;
  for (;;) {
    const x = await signedPut({
      transport: o.transport,
      step: 'commands',
      url: o.url,
      type: CONNECT_TYPE,
      body,
      signer: o.signer,
      now: o.now(),
    });
    if (x.status !== 200)
      throw refusedAnswer('commands', 'CHECKIN_REFUSED', x, 'the command endpoint refused the report');
    if (x.body.length > 0) {
      const received = readCommand(x.body);
      // Every device enrolled through ADE on iOS 13 / macOS 10.15 and later is supervised,
      // whatever the DEP profile's deprecated is_supervised says.
      const state = { supervised: true, awaitingConfiguration: !released };
      const answer = answerCommand(o.device, received, state);
      if (answer.releasesSetup) released = true;
      commands.push({ commandUuid: received.commandUuid, requestType: received.requestType, answered: answer.status });
      body = answer.body;
    } else {
      // An empty answer: nothing queued. A device outside Setup Assistant goes quiet until
      // pushed; one awaiting configuration keeps asking until DeviceConfigured arrives.
      if (released) return { commands, released };
      body = idleBody(o.device);
      if (performance.now() + idleWaitMs > deadline) {
        throw new EnrollmentStepError(
          'commands',
          'POLL_TIMEOUT',
          `no DeviceConfigured within ${Math.round(o.pollTimeoutMs / 1000)} s (received: ${commands.map((c) => c.requestType).join(', ') || 'nothing'})`,
          answerOf(x),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, idleWaitMs));
      idleWaitMs = Math.min(idleWaitMs * 2, 2000);
    }
    if (performance.now() > deadline) {
      throw new EnrollmentStepError(
        'commands',
        'POLL_TIMEOUT',
        `still receiving commands after ${Math.round(o.pollTimeoutMs / 1000)} s (${commands.length} so far)`,
        answerOf(x),
      );
    }
  }
}

function refusedAnswer(
  step: EnrollmentStep,
  code: 'UNEXPECTED_ANSWER' | 'CHECKIN_REFUSED' | 'SCEP_REFUSED',
  x: Exchange,
  what: string,
): EnrollmentStepError {
  return new EnrollmentStepError(step, code, `${x.method} ${x.url} answered ${x.status}: ${what}`, answerOf(x));
}

function mediaType(x: Exchange): string {
  return (x.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
