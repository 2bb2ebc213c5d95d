import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '../schemas.js';

export interface SystemInfo {
  readonly sandbox: boolean;
  readonly appleBusinessManagerUrl: string;
  readonly version: string;
}

export const systemRoutes: FastifyPluginAsyncTypebox<{ info: SystemInfo }> = async (app, { info }) => {
  app.get(
    '/system',
    {
      schema: {
        tags: ['Operations'],
        summary: 'What this Orchard is: version, sandbox mode, and where Apple Business Manager is',
        response: {
          200: Type.Object({ sandbox: Type.Boolean(), appleBusinessManagerUrl: Type.String(), version: Type.String() }),
          ...errors(),
        },
      },
    },
    async () => info,
  );
};
