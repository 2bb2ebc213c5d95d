import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config/config.js';
import { errors } from '../schemas.js';

export interface SystemInfo {
  readonly sandbox: boolean;
  /** The web app warns everyone when the sandbox is on in production. */
  readonly mode: Config['mode'];
  readonly appleBusinessManagerUrl: string;
  readonly version: string;
  /** Email reminders: whether ORCHARD_SMTP_URL is set, and the From address (never the URL). */
  readonly email: { readonly configured: boolean; readonly from: string | null };
}

export const systemRoutes: FastifyPluginAsyncTypebox<{ info: SystemInfo }> = async (app, { info }) => {
  app.get(
    '/system',
    {
      schema: {
        tags: ['Operations'],
        summary:
          'What this Orchard is: version, development or production, sandbox mode, and where Apple Business Manager is',
        response: {
          200: Type.Object({
            sandbox: Type.Boolean(),
            mode: Type.Union([Type.Literal('development'), Type.Literal('production')]),
            appleBusinessManagerUrl: Type.String(),
            version: Type.String(),
            email: Type.Object({
              configured: Type.Boolean({ description: 'ORCHARD_SMTP_URL is set' }),
              from: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
          ...errors(),
        },
      },
    },
    async () => info,
  );
};
