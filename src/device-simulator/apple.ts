/**
 * What a device learns from Apple before it reaches the MDM server, played by the sandbox's
 * portal API (`{sandboxBase}/abm/api`): Apple's record of the device, its factory identity
 * (signed by the sandbox's device CA, standing in for Apple's iPhone Device CA), and, at
 * activation, the DEP profile assigned to it (which marks the profile `pushed` at Apple).
 */
import type { Identity } from '../mdm/pki/identity.js';
import type { AppleRecord } from './device-model.js';
import { EnrollmentStepError } from './errors.js';
import { answerOf, exchange, jsonOf, unexpected, type Transport } from './http.js';

export interface AppleClient {
  readonly transport: Transport;
  /** `{orchard}/sandbox` when mounted in Orchard, or a standalone sandbox's `/sandbox`. */
  readonly sandboxUrl: string;
  /** Needed when the sandbox is mounted in Orchard (its portal answers signed-in users and API keys). */
  readonly apiKey?: string;
}

export interface FactoryIdentity extends Identity {
  readonly caCertificatePem: string;
  readonly udid: string | null;
}

/** The DEP profile as a device receives it at activation (Apple's profile keys, snake_case). */
export interface ActivationProfile {
  readonly url: string;
  readonly awaitDeviceConfigured: boolean;
  readonly profileName: string | null;
}

export async function appleRecord(client: AppleClient, serial: string): Promise<AppleRecord> {
  const x = await exchange(client.transport, 'lookup', {
    method: 'GET',
    url: portal(client, `/devices/${encodeURIComponent(serial)}`),
    headers: headers(client),
  });
  if (x.status === 404)
    throw new EnrollmentStepError('lookup', 'NOT_ASSIGNED', `Apple has no device ${serial}`, answerOf(x));
  const body = jsonOf(x);
  if (x.status !== 200 || !isObject(body)) throw unexpected('lookup', x, 'not the device record');
  return {
    model: stringOr(body['model']),
    deviceFamily: stringOr(body['deviceFamily']),
    os: stringOr(body['os']),
    description: stringOr(body['description']),
    udid: stringOr(body['udid']),
  };
}

export async function factoryIdentity(client: AppleClient, serial: string): Promise<FactoryIdentity> {
  const x = await exchange(client.transport, 'identity', {
    method: 'POST',
    url: portal(client, `/devices/${encodeURIComponent(serial)}/identity`),
    headers: { ...headers(client), 'content-type': 'application/json' },
    body: '{}',
  });
  const body = jsonOf(x);
  if ((x.status !== 200 && x.status !== 201) || !isObject(body)) throw unexpected('identity', x, 'no identity');
  const certificatePem = stringOr(body['certificatePem']);
  const privateKeyPem = stringOr(body['privateKeyPem']);
  const caCertificatePem = stringOr(body['caCertificatePem']);
  if (certificatePem === null || privateKeyPem === null || caCertificatePem === null)
    throw unexpected('identity', x, 'certificatePem, privateKeyPem or caCertificatePem missing');
  return { certificatePem, privateKeyPem, caCertificatePem, udid: stringOr(body['udid']) };
}

export async function activate(client: AppleClient, serial: string): Promise<ActivationProfile> {
  const x = await exchange(client.transport, 'activation', {
    method: 'POST',
    url: portal(client, `/devices/${encodeURIComponent(serial)}/activation`),
    headers: { ...headers(client), 'content-type': 'application/json' },
    body: '{}',
  });
  // A device with nothing assigned finishes Setup Assistant unmanaged; for the simulator
  // that is the end of the road.
  if (x.status === 404 || x.status === 409) {
    throw new EnrollmentStepError(
      'activation',
      'NOT_ASSIGNED',
      `Apple has no enrollment profile for ${serial}`,
      answerOf(x),
    );
  }
  const body = jsonOf(x);
  if (x.status !== 200 || !isObject(body)) throw unexpected('activation', x, 'not a DEP profile');
  const url = stringOr(body['url']);
  if (url === null) throw unexpected('activation', x, 'the profile has no url');
  return {
    url,
    awaitDeviceConfigured: body['await_device_configured'] === true,
    profileName: stringOr(body['profile_name']),
  };
}

function portal(client: AppleClient, path: string): string {
  return `${client.sandboxUrl.replace(/\/+$/, '')}/abm/api${path}`;
}

function headers(client: AppleClient): Record<string, string> {
  return client.apiKey === undefined ? {} : { authorization: `Bearer ${client.apiKey}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
