/**
 * What devices talk to: the enrollment URL, the check-in URL and the command endpoint
 * (apple-protocols.md §3). Bodies are raw bytes whatever their Content-Type; answers follow
 * Apple's documents — a signed `application/x-apple-aspen-config` profile, Apple's JSON for
 * "update first", a plist command or an empty 200 — and refusals are 4xx problem details
 * that name the reason, logged with it. Never 401: a device takes 401 as "unenroll me".
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CheckIns, DeviceReply } from '../../domain/enrollment/check-ins.js';
import type { ProfileRequests } from '../../domain/enrollment/profile-requests.js';
import { makeProblem, sendProblem } from '../problem.js';
import { acceptRawBodies, rawBody } from '../raw-body.js';

export interface MdmRoutesOptions {
  readonly profiles: ProfileRequests;
  readonly checkIns: CheckIns;
}

/** MachineInfo is a few KiB; check-in answers such as installed-app lists can be large. */
const ENROLL_BODY_LIMIT = 256 * 1024;
const CHECKIN_BODY_LIMIT = 16 * 1024 * 1024;
const hidden = { schema: { hide: true } };

export const mdmRoutes: FastifyPluginAsync<MdmRoutesOptions> = async (app, { profiles, checkIns }) => {
  await app.register(async (enroll) => {
    acceptRawBodies(enroll, ENROLL_BODY_LIMIT);
    const answerProfile = async (request: FastifyRequest, reply: FastifyReply, machineInfo: Buffer | null) => {
      const { enrollmentKey } = request.params as { enrollmentKey: string };
      const answer = await profiles.answer(enrollmentKey, machineInfo);
      switch (answer.kind) {
        case 'profile':
          request.log.info({ serialNumber: answer.serialNumber }, 'enrollment profile served');
          return reply.code(200).type('application/x-apple-aspen-config').send(answer.signedProfile);
        case 'software_update_required':
          request.log.info(
            { serialNumber: answer.serialNumber, osVersion: answer.osVersion },
            'device asked to update before enrolling',
          );
          // Apple's documented answer for MDM_CAN_REQUEST_SOFTWARE_UPDATE devices.
          return reply
            .code(403)
            .type('application/json')
            .send({ code: 'com.apple.softwareupdate.required', details: { OSVersion: answer.osVersion } });
        case 'refused':
          request.log.warn({ code: answer.code, reason: answer.detail }, 'enrollment refused');
          return sendProblem(
            reply,
            makeProblem(answer.status, answer.code, refusalMessage(answer.code, answer.detail)),
          );
      }
    };
    enroll.post('/mdm/enroll/:enrollmentKey', hidden, (request, reply) =>
      answerProfile(request, reply, rawBody(request.body)),
    );
    // The web-view flow sends the same signed MachineInfo, base64, in a header of a GET.
    enroll.get('/mdm/enroll/:enrollmentKey', hidden, (request, reply) => {
      const header = request.headers['x-apple-aspen-deviceinfo'];
      const value = Array.isArray(header) ? header[0] : header;
      const compact = value?.replace(/\s+/g, '') ?? '';
      const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(compact) ? Buffer.from(compact, 'base64') : null;
      return answerProfile(request, reply, decoded);
    });
  });

  await app.register(async (device) => {
    acceptRawBodies(device, CHECKIN_BODY_LIMIT);
    const send = (request: FastifyRequest, reply: FastifyReply, answer: DeviceReply) => {
      if (answer.kind === 'ok') {
        return answer.plist === undefined
          ? reply.code(200).send()
          : reply.code(200).type('application/xml; charset=utf-8').send(answer.plist);
      }
      request.log.warn({ code: answer.code, reason: answer.reason }, 'device message refused');
      return sendProblem(reply, makeProblem(answer.status, answer.code, answer.reason));
    };
    const signature = (request: FastifyRequest) => {
      const header = request.headers['mdm-signature'];
      return Array.isArray(header) ? header[0] : header;
    };
    device.put('/mdm/checkin', hidden, async (request, reply) =>
      send(request, reply, await checkIns.checkIn(rawBody(request.body), signature(request))),
    );
    device.put('/mdm/connect', hidden, async (request, reply) =>
      send(request, reply, await checkIns.connect(rawBody(request.body), signature(request))),
    );
  });
};

function refusalMessage(code: string, detail: string): string {
  switch (code) {
    case 'ENROLLMENT_KEY_UNKNOWN':
      return 'This enrollment URL belongs to no ABM token in Orchard. Check the MDM server the device is assigned to in Apple Business Manager.';
    case 'ENROLLMENT_NOT_CONFIGURED':
      return `Enrollment is not configured: ${detail}. See "Enrollment" in the README.`;
    case 'DEVICE_NOT_ON_TOKEN':
      return `${detail}. Assign the device to this MDM server in Apple Business Manager and sync the token.`;
    case 'DEVICE_REMOVED':
      return `${detail}. Assign it again in Apple Business Manager and sync the token.`;
    default:
      return `The device's enrollment request was refused: ${detail}.`;
  }
}
