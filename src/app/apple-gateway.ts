import { DepClient } from '../apple/dep/index.js';
import type { ServerToken } from '../apple/token-file.js';
import type { AppleAccountGateway } from '../domain/abm-tokens.js';
import type { AbmServer } from '../store/repositories/abm-tokens.js';

/**
 * `GET /account` for a token being uploaded. A person is waiting on the other end, so this
 * gives up sooner than background work does: a few quick attempts, then "Apple did not answer".
 */
export class DepAccountGateway implements AppleAccountGateway {
  constructor(private readonly userAgent: string) {}

  async account(depBaseUrl: string, token: ServerToken): Promise<AbmServer> {
    const client = new DepClient({
      baseUrl: depBaseUrl,
      token,
      userAgent: this.userAgent,
      timeoutMs: 20_000,
      maxAttempts: 3,
      maxRetryAfterMs: 10_000,
    });
    const account = await client.account();
    return {
      name: account.serverName ?? 'Unnamed MDM server',
      uuid: account.serverUuid,
      orgName: account.orgName,
      orgEmail: account.orgEmail,
      adminId: account.adminId,
    };
  }
}
