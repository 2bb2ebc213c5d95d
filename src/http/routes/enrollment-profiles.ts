import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EnrollmentProfileService } from '../../domain/enrollment-profiles.js';
import { requirePrincipal } from '../auth.js';
import { IdParams, errors } from '../schemas.js';

const nullableText = Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()]);

// Lengths and Apple's rules are checked by the domain, which names the field and the limit.
const editable = {
  profileName: Type.String({ maxLength: 10_000 }),
  isSupervised: Type.Boolean(),
  isMandatory: Type.Boolean(),
  isMdmRemovable: Type.Boolean({ description: 'false requires isSupervised' }),
  awaitDeviceConfigured: Type.Boolean(),
  skipSetupItems: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200, description: 'Apple skip keys' }),
  department: nullableText,
  supportPhoneNumber: nullableText,
  supportEmailAddress: nullableText,
  language: nullableText,
  region: nullableText,
  minimumIosVersion: Type.Optional(
    Type.Union([Type.String({ maxLength: 100 }), Type.Null()], {
      description:
        'Devices that can update during Setup Assistant (iOS 17+) and run an older iOS/iPadOS are asked to update to it before enrolling',
    }),
  ),
  minimumMacosVersion: Type.Optional(
    Type.Union([Type.String({ maxLength: 100 }), Type.Null()], {
      description: 'The same for Macs (macOS 14+)',
    }),
  ),
};

export const EnrollmentProfileSchema = Type.Object(
  {
    ...editable,
    url: Type.String({ description: 'The enrollment URL devices are sent to (read-only)' }),
    profileUuid: Type.Union([Type.String(), Type.Null()], { description: 'Apple’s UUID once defined (read-only)' }),
    definedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'EnrollmentProfile', description: 'The Setup Assistant profile Orchard assigns to a token’s devices' },
);

export const enrollmentProfileRoutes: FastifyPluginAsyncTypebox<{ profiles: EnrollmentProfileService }> = async (
  app,
  { profiles },
) => {
  const tags = ['ABM tokens'];
  const ref = Type.Ref('EnrollmentProfile');

  app.get(
    '/abm-tokens/:id/enrollment-profile',
    {
      schema: {
        tags,
        summary: 'The token’s enrollment (Setup Assistant) profile',
        params: IdParams,
        response: { 200: ref, ...errors(404) },
      },
    },
    async (request) => profiles.get(requirePrincipal(request), request.params.id),
  );

  app.put(
    '/abm-tokens/:id/enrollment-profile',
    {
      schema: {
        tags,
        summary:
          'Change the token’s enrollment profile; Orchard defines it with Apple and re-assigns it to the token’s devices in the background',
        params: IdParams,
        body: Type.Object(editable, { additionalProperties: false }),
        response: { 200: ref, ...errors(400, 404) },
      },
    },
    async (request) => profiles.put(requirePrincipal(request), request.params.id, request.body),
  );
};
