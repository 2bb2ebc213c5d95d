/**
 * The SCEP endpoint (RFC 8894 §4) devices reach through their enrollment profile's SCEP
 * payload, registered under `/mdm/scep`. SCEP clients read bytes and status codes, not
 * problem+json: a message that cannot be read gets HTTP 400 with a short plain-text reason;
 * a readable request that is refused gets HTTP 200 with a signed CertRep FAILURE
 * (§3.3.2.2), which is what a device shows its user. Policy lives behind the authority.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ScepAuthority } from '../../mdm/scep/authority.js';
import { caCapsText } from '../../mdm/scep/caps.js';
import { MAX_PKI_MESSAGE_BYTES, prepareCa } from '../../mdm/scep/message.js';
import { answerPkiOperation } from '../../mdm/scep/operation.js';
import { messageFromQuery } from '../../mdm/scep/transport.js';
import { acceptRawBodies, rawBody } from '../raw-body.js';

export interface ScepRoutesOptions {
  readonly authority: ScepAuthority;
  /** Largest POST body accepted (default 64 KiB, far beyond any real pkiMessage). */
  readonly bodyLimit?: number;
  /** The clock for CertRep signing times and renewal checks (default: the system clock). */
  readonly now?: () => Date;
}

export const scepRoutes: FastifyPluginAsync<ScepRoutesOptions> = async (scope, options) => {
  const { authority } = options;
  const now = options.now ?? (() => new Date());
  acceptRawBodies(scope, options.bodyLimit ?? MAX_PKI_MESSAGE_BYTES);

  const pkiOperation = async (request: FastifyRequest, reply: FastifyReply, message: Buffer): Promise<FastifyReply> => {
    const answer = await answerPkiOperation(message, authority, now());
    if (answer.kind === 'unreadable') {
      request.log.info({ scep: { code: answer.code, reason: answer.reason } }, 'SCEP message refused as unreadable');
      return badRequest(reply, 'unreadable SCEP message');
    }
    const { messageType, transactionId, status, failInfo, reason } = answer;
    request.log.info({ scep: { messageType, transactionId, status, failInfo, reason } }, `SCEP ${status}`);
    return reply.code(200).type('application/x-pki-message').send(answer.certRep);
  };

  const hidden = { schema: { hide: true } };

  scope.get('/', hidden, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    switch (query.operation) {
      case 'GetCACaps':
        return reply.code(200).type('text/plain').send(Buffer.from(caCapsText()));
      case 'GetCACert': {
        // One CA and no RA: the certificate itself (RFC 8894 §4.2.1.1).
        const ca = prepareCa(await authority.ca());
        return reply.code(200).type('application/x-x509-ca-cert').send(ca.certificateDer);
      }
      case 'PKIOperation': {
        const message = typeof query.message === 'string' ? messageFromQuery(query.message) : null;
        if (message === null) return badRequest(reply, 'message must be one base64 value');
        return pkiOperation(request, reply, message);
      }
      default:
        return badRequest(reply, 'unknown operation');
    }
  });

  scope.post('/', hidden, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if (query.operation !== 'PKIOperation') return badRequest(reply, 'unknown operation');
    return pkiOperation(request, reply, rawBody(request.body));
  });
};

function badRequest(reply: FastifyReply, reason: string): FastifyReply {
  return reply
    .code(400)
    .type('text/plain')
    .send(Buffer.from(`${reason}\n`));
}
