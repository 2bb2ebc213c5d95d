/**
 * The device's side of Apple, for simulated devices and independent clients: the factory
 * identity a device is born with, the activation call that hands it its DEP profile, and the
 * device CA certificate verifiers trust. Registered inside the portal's scope, so its error
 * format and (mounted in Orchard) its sign-in rule apply; the CA certificate stays public.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { activationProfile } from './activation.js';
import type { SandboxContext } from './context.js';
import { readDevicePublicKey } from './device-identities.js';
import type { DeviceRecord } from './devices.js';
import { jsonBody } from './http-body.js';
import { bad, deviceNotFound, noProfileAssigned, pushRefusal } from './portal-errors.js';

/** Relative to the portal's prefix: `<prefix>/abm/device-ca.pem`. */
export const DEVICE_CA_PATH = '/device-ca.pem';

export function deviceRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const serialOf = (request: FastifyRequest) => (request.params as { serial: string }).serial.trim().toUpperCase();
  const knownDevice = (serial: string): DeviceRecord => {
    const device = ctx.devices.get(serial);
    if (device === undefined || device.disowned) throw deviceNotFound(serial);
    return device;
  };

  app.get(DEVICE_CA_PATH, async (_request, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('content-disposition', 'attachment; filename="orchard-sandbox-device-ca.pem"')
      .type('application/x-pem-file')
      .send(await ctx.deviceCa.certificatePem()),
  );

  // The device's factory identity: generated once, or (with `publicKeyPem`) a certificate for
  // a key the caller holds. The answer carries the private key only when the sandbox made it.
  app.post('/api/devices/:serial/identity', async (request) => {
    const device = knownDevice(serialOf(request));
    const body = jsonBody(request.body) ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw bad('MALFORMED_BODY', 'Send nothing, or a JSON object {"publicKeyPem": "…"}.');
    const pem = (body as Record<string, unknown>)['publicKeyPem'];
    const publicKey = pem === undefined || pem === null ? undefined : readDevicePublicKey(pem);
    const identity = await ctx.identities.factoryIdentity(device, publicKey);
    return {
      certificatePem: identity.certificatePem,
      privateKeyPem: identity.privateKeyPem,
      caCertificatePem: identity.caCertificatePem,
      udid: identity.udid,
    };
  });

  // A device at Setup Assistant asks Apple for its configuration: it gets the assigned
  // profile and, from then on, DEP reports the profile `pushed` (a `modified` sync event).
  app.post('/api/devices/:serial/activation', async (request) => {
    const serial = serialOf(request);
    const refusal = pushRefusal(serial, ctx.devices.markPushed(serial, ctx.clock.nowMs()));
    if (refusal !== undefined) throw refusal;
    const device = knownDevice(serial);
    // markPushed saw a profile; profiles go only with their server, which unassigns devices.
    const profile =
      device.serverId === null || device.profileUuid === null
        ? undefined
        : ctx.profiles.find(device.serverId, device.profileUuid);
    if (profile === undefined) throw noProfileAssigned(serial);
    return activationProfile({ serial, profile, organization: ctx.organization.organization });
  });
}
