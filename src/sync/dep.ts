import {
  DepClient,
  type AssignProfileResult,
  type CallOptions,
  type DefineProfileResult,
  type DevicePager,
  type ProfileDefinition,
  type Sleep,
} from '../apple/dep/index.js';
import type { ServerToken } from '../apple/server-token.js';
import type { Clock } from '../domain/clock.js';

/** The DEP calls a sync makes for one token; DepClient is one, tests pass fakes. */
export interface SyncDepClient extends DevicePager {
  defineProfile(profile: ProfileDefinition, options?: CallOptions): Promise<DefineProfileResult>;
  assignProfile(profileUuid: string, serials: readonly string[], options?: CallOptions): Promise<AssignProfileResult>;
}

export interface DepClientRequest {
  readonly tokenId: string;
  readonly depBaseUrl: string;
  readonly credentials: ServerToken;
}

export type DepClientFactory = (request: DepClientRequest) => SyncDepClient;

/** The real client: Apple's retries and backoff, on the token's own DEP base URL. */
export function depClientFactory(options: { userAgent: string; clock: Clock; sleep?: Sleep }): DepClientFactory {
  return ({ depBaseUrl, credentials }) =>
    new DepClient({
      baseUrl: depBaseUrl,
      token: credentials,
      userAgent: options.userAgent,
      clock: options.clock,
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
}
