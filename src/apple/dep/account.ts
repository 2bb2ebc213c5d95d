/** `GET /account`: which MDM server and organisation a server token belongs to. */
import type { CallOptions, DepRequester } from './transport.js';
import { expectObject, isObject, num, requiredStr, str, strings } from './wire.js';

export type OrgType = 'edu' | 'org' | 'tvprovider' | (string & {});

export interface AccountUrl {
  readonly uri: string;
  readonly httpMethods: readonly string[];
  /** Apple's advertised page sizes; one real account advertised 1000/5000. */
  readonly limit: { readonly default: number | null; readonly maximum: number | null } | null;
}

export interface Account {
  readonly serverName: string | null;
  /** Stable across token renewals for the same MDM server: the key that matches a renewed token. */
  readonly serverUuid: string;
  /** The Apple Account that downloaded the token. */
  readonly adminId: string | null;
  readonly facilitatorId: string | null;
  readonly orgName: string | null;
  readonly orgEmail: string | null;
  readonly orgPhone: string | null;
  readonly orgAddress: string | null;
  readonly orgId: string | null;
  readonly orgIdHash: string | null;
  readonly orgType: OrgType | null;
  /** `v1` (DEP) or `v2` (ABM/ASM). */
  readonly orgVersion: string | null;
  readonly urls: readonly AccountUrl[];
}

export function parseAccount(answer: unknown): Account {
  const call = 'GET /account';
  const body = expectObject(call, answer);
  return {
    serverName: str(body, 'server_name'),
    serverUuid: requiredStr(call, body, 'server_uuid'),
    adminId: str(body, 'admin_id'),
    facilitatorId: str(body, 'facilitator_id'),
    orgName: str(body, 'org_name'),
    orgEmail: str(body, 'org_email'),
    orgPhone: str(body, 'org_phone'),
    orgAddress: str(body, 'org_address'),
    orgId: str(body, 'org_id'),
    orgIdHash: str(body, 'org_id_hash'),
    orgType: str(body, 'org_type'),
    orgVersion: str(body, 'org_version'),
    urls: Array.isArray(body['urls']) ? body['urls'].flatMap(parseAccountUrl) : [],
  };
}

function parseAccountUrl(value: unknown): AccountUrl[] {
  if (!isObject(value)) return [];
  const uri = str(value, 'uri');
  if (uri === null) return [];
  const limit = value['limit'];
  const singleMethod = str(value, 'http_method');
  return [
    {
      uri,
      // Apple sends a list; tolerate a single string.
      httpMethods: strings(value, 'http_method') ?? (singleMethod === null ? [] : [singleMethod]),
      limit: isObject(limit) ? { default: num(limit, 'default'), maximum: num(limit, 'maximum') } : null,
    },
  ];
}

export async function getAccount(api: DepRequester, options: CallOptions = {}): Promise<Account> {
  return parseAccount(await api.request({ method: 'GET', path: '/account', ...options }));
}
