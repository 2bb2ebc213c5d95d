import { sql } from 'kysely';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../store/db.js';
import { makeProblem, sendProblem } from '../problem.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Liveness and database reachability, for load balancers',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async (request, reply) => {
      try {
        await sql`select 1`.execute(db.kysely);
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unreachable');
        return sendProblem(reply, makeProblem(503, 'DATABASE_UNAVAILABLE', 'Orchard cannot reach its database.'));
      }
      return { status: 'ok' as const };
    },
  );
};
