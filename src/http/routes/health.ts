import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pendingMigrations, type Db } from '../../store/db.js';
import { makeProblem, sendDatabaseProblem, sendProblem } from '../problem.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Liveness, database reachability and schema version, for load balancers',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async (request, reply) => {
      let pending: string[];
      try {
        pending = await pendingMigrations(db);
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unavailable');
        return (
          sendDatabaseProblem(reply, error) ??
          sendProblem(
            reply,
            makeProblem(503, 'DATABASE_UNAVAILABLE', 'Orchard cannot read its database. Its log says why.'),
          )
        );
      }
      if (pending.length > 0) {
        request.log.warn({ pending }, 'health check: database schema is behind this Orchard');
        return sendProblem(
          reply,
          makeProblem(
            503,
            'SCHEMA_OUT_OF_DATE',
            `The database lacks ${pending.length === 1 ? 'migration' : 'migrations'} ${pending.join(', ')}, which this Orchard needs. Run \`orchard migrate\` (or restart an instance: it migrates at start).`,
            { pendingMigrations: pending },
          ),
        );
      }
      return { status: 'ok' as const };
    },
  );
};
