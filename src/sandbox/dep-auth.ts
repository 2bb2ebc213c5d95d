/**
 * Authentication for the simulated DEP web service, checked for real so that client bugs show
 * up against the sandbox rather than against Apple:
 *
 * - `GET /session`: OAuth 1.0a HMAC-SHA1 (RFC 5849) with the consumer and access secrets of a
 *   downloaded token, verified against the URL the client signed. Failures answer with
 *   OAuth Problem Reporting names: 400 `parameter_absent`/`signature_method_rejected`, 401
 *   `signature_invalid`, `nonce_used`, `token_rejected` (unknown, superseded or revoked
 *   token), `token_expired`; 403 `T_C_NOT_SIGNED` when the organisation owes Apple a terms
 *   acceptance.
 * - every other call: `X-ADM-Auth-Session`, 401 `UNAUTHORIZED` when missing, unknown or
 *   expired, 403 `FORBIDDEN` when the token behind the session was superseded or revoked.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseAuthorizationHeader, verifySignature, type ParsedAuthorization } from '../apple/oauth1.js';
import { OAuthHeaderError } from '../apple/errors.js';
import type { SandboxClock } from './clock.js';
import { depErrors } from './dep-errors.js';
import { normalizePath, type FaultStore } from './faults.js';
import type { OrganizationStore } from './organization.js';
import type { ServerRecord, ServerStore, TokenRecord } from './servers.js';
import { SESSION_ROTATE_AFTER_MS, type SessionRecord, type SessionStore } from './sessions.js';

export interface DepCaller {
  readonly server: ServerRecord;
  readonly token: TokenRecord;
  readonly session: SessionRecord;
}

/** What the route should do after the gate: go on, or stop because the socket was dropped. */
export type GateResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

export interface DepAuthDeps {
  readonly clock: SandboxClock;
  readonly servers: ServerStore;
  readonly sessions: SessionStore;
  readonly faults: FaultStore;
  readonly organization: OrganizationStore;
  /** Base URLs clients may have signed against, e.g. "http://localhost:8080". */
  readonly publicUrl: string;
}

const NONCE_MEMORY = 50_000;

export class DepAuth {
  /** Recently seen (consumer key, token, nonce, timestamp): a replayed /session is refused. */
  private readonly nonces = new Set<string>();

  constructor(private readonly deps: DepAuthDeps) {}

  /** Apple answers 400 to calls without a User-Agent or protocol version (apple-protocols.md §2). */
  checkHeaders(request: FastifyRequest): void {
    const userAgent = request.headers['user-agent'];
    if (userAgent === undefined || userAgent.trim() === '') throw depErrors.userAgentMissing();
    if (userAgent.length > 1024) throw depErrors.userAgentInvalid();
    const version = request.headers['x-server-protocol-version'];
    if (version === undefined || (typeof version === 'string' && version.trim() === ''))
      throw depErrors.protocolVersionMissing();
    if (typeof version !== 'string' || !/^\d{1,3}$/.test(version.trim())) throw depErrors.protocolVersionInvalid();
  }

  /** `GET /session`: a new auth session for a correctly signed request. */
  async openSession(request: FastifyRequest, reply: FastifyReply): Promise<GateResult<SessionRecord>> {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') throw depErrors.unauthorized();
    let authorization: ParsedAuthorization;
    try {
      authorization = parseAuthorizationHeader(header);
    } catch (error) {
      if (error instanceof OAuthHeaderError) throw depErrors.oauth(400, 'parameter_absent');
      throw error;
    }
    const { params } = authorization;
    if (params['oauth_signature_method'] !== 'HMAC-SHA1') throw depErrors.oauth(400, 'signature_method_rejected');
    if (params['oauth_version'] !== undefined && params['oauth_version'] !== '1.0')
      throw depErrors.oauth(400, 'version_rejected');

    const token = this.deps.servers.findToken(params['oauth_token'] ?? '');
    if (token === undefined) throw depErrors.oauth(401, 'token_rejected');
    if (token.consumerKey !== params['oauth_consumer_key']) throw depErrors.oauth(401, 'consumer_key_rejected');
    const server = this.deps.servers.get(token.serverId);
    if (server === undefined) throw depErrors.oauth(401, 'token_rejected');

    if (!(await this.transportFaults(server.id, request, reply))) return { ok: false };

    const signed = this.candidateUrls(request).some((url) =>
      verifySignature(
        { method: request.method, url, authorization },
        { consumerSecret: token.consumerSecret, tokenSecret: token.accessSecret },
      ),
    );
    if (!signed) throw depErrors.oauth(401, 'signature_invalid');
    this.rememberNonce(params);

    const now = this.deps.clock.nowMs();
    // A newer download supersedes a token at once; ABM also revokes tokens (admin left, …).
    if (token.supersededAt !== null) throw depErrors.oauth(401, 'token_rejected');
    if (now >= token.expiresAt) throw depErrors.oauth(401, 'token_expired');
    const fault = this.deps.faults.takeAccount(server.id, '/session');
    if (fault === 'tokenRevoked') throw depErrors.oauth(401, 'token_rejected');
    if (fault === 'termsNotAccepted' || !this.deps.organization.termsAccepted()) throw depErrors.termsNotSigned();

    return { ok: true, value: this.deps.sessions.create(server.id, token.accessToken, now) };
  }

  /** Every call but `/session`: the caller behind `X-ADM-Auth-Session`. */
  async caller(request: FastifyRequest, reply: FastifyReply): Promise<GateResult<DepCaller>> {
    const header = request.headers['x-adm-auth-session'];
    if (typeof header !== 'string' || header.trim() === '') throw depErrors.unauthorized();
    const session = this.deps.sessions.find(header.trim());
    if (session === undefined || this.deps.clock.nowMs() >= session.expiresAt) throw depErrors.unauthorized();
    const server = this.deps.servers.get(session.serverId);
    const token = this.deps.servers.findToken(session.accessToken);
    if (server === undefined || token === undefined) throw depErrors.unauthorized();

    const path = normalizePath(request.url);
    if (!(await this.transportFaults(server.id, request, reply))) return { ok: false };

    const now = this.deps.clock.nowMs();
    if (token.supersededAt !== null) throw depErrors.forbidden();
    // The token ran out during the session: re-authenticating will say token_expired.
    if (now >= token.expiresAt) throw depErrors.unauthorized();
    const fault = this.deps.faults.takeAccount(server.id, path);
    if (fault === 'tokenRevoked') throw depErrors.forbidden();
    if (fault === 'termsNotAccepted' || !this.deps.organization.termsAccepted()) throw depErrors.termsNotSigned();

    // Apple hands out a fresh session token in a response header now and then; clients
    // must switch to it. The old one stays valid until it expires.
    if (now - session.createdAt >= SESSION_ROTATE_AFTER_MS) {
      const next = this.deps.sessions.create(server.id, token.accessToken, now);
      reply.header('X-ADM-Auth-Session', next.token);
    }
    return { ok: true, value: { server, token, session } };
  }

  /** Applies slow / 429 / 503 / drop faults; false when the connection was dropped. */
  private async transportFaults(serverId: string, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const { delayMs, fault } = this.deps.faults.takeTransport(
      serverId,
      normalizePath(request.url),
      this.deps.clock.nowMs(),
    );
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (fault === null) return true;
    if (fault.kind === 'rateLimit') throw depErrors.tooManyRequests(fault.retryAfter);
    if (fault.kind === 'unavailable') throw depErrors.unavailable(fault.retryAfter);
    // A connection reset with no response at all, as flaky networks and load balancers do.
    // (ServerResponse.destroy() destroys the socket; under inject() it rejects the call.)
    reply.hijack();
    reply.raw.destroy();
    return false;
  }

  /**
   * The URL the client signed (RFC 5849 §3.4.1.2): the sandbox's public URL, and the Host the
   * request came to (tests listen on a random port; a proxy may sit in front).
   */
  private candidateUrls(request: FastifyRequest): string[] {
    const urls = new Set<string>();
    urls.add(`${this.deps.publicUrl.replace(/\/+$/, '')}${request.url}`);
    const host = request.headers.host;
    if (host !== undefined && host !== '') urls.add(`${request.protocol}://${host}${request.url}`);
    return [...urls].filter((url) => {
      try {
        new URL(url);
        return true;
      } catch {
        return false;
      }
    });
  }

  private rememberNonce(params: Readonly<Record<string, string>>): void {
    const key = [
      params['oauth_consumer_key'],
      params['oauth_token'],
      params['oauth_nonce'],
      params['oauth_timestamp'],
    ].join('\u0000');
    if (this.nonces.has(key)) throw depErrors.oauth(401, 'nonce_used');
    this.nonces.add(key);
    if (this.nonces.size > NONCE_MEMORY) {
      // Forget the oldest tenth (Sets iterate in insertion order).
      let drop = NONCE_MEMORY / 10;
      for (const old of this.nonces) {
        if (drop-- <= 0) break;
        this.nonces.delete(old);
      }
    }
  }
}
