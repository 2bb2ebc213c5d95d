import { apiRequest } from './client';
import type { AbmToken, AbmTokenFilters, EnrollmentProfile, EnrollmentProfileInput, Page } from './types';

const base = '/api/v1/abm-tokens';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;

/** Where the token's public key (.pem) downloads from; a plain GET authenticated by the session cookie. */
export function publicKeyUrl(id: string): string {
  return `${one(id)}/public-key`;
}

/**
 * Every token matching the filters. The API pages the list; the token table and the pickers
 * show all of a filter's tokens at once, so this reads the pages in turn (500 a page: one
 * request for any MSP with fewer tokens than that).
 */
export async function listAbmTokens(filters: AbmTokenFilters, signal?: AbortSignal): Promise<AbmToken[]> {
  const tokens: AbmToken[] = [];
  let cursor: string | undefined;
  do {
    const page: Page<AbmToken> = await apiRequest<Page<AbmToken>>(base, {
      query: { customerId: filters.customerId, siteId: filters.siteId, limit: 500, cursor },
      signal,
    });
    tokens.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tokens;
}

export function getAbmToken(id: string, signal?: AbortSignal): Promise<AbmToken> {
  return apiRequest<AbmToken>(one(id), { signal });
}

/** Starts a token for a Customer and Site: Orchard makes its key pair; the token awaits the file from ABM. */
export function createAbmToken(customerId: string, siteId: string): Promise<AbmToken> {
  return apiRequest<AbmToken>(base, { method: 'POST', body: { customerId, siteId } });
}

/** Moves a token (and its devices) to another Customer and Site. */
export function moveAbmToken(id: string, customerId: string, siteId: string): Promise<AbmToken> {
  return apiRequest<AbmToken>(one(id), { method: 'PATCH', body: { customerId, siteId } });
}

export function deleteAbmToken(id: string): Promise<void> {
  return apiRequest<void>(one(id), { method: 'DELETE' });
}

/** Uploads the server token file (…_smime.p7m) downloaded from ABM, as raw bytes. */
export function uploadServerToken(id: string, file: Blob): Promise<AbmToken> {
  return apiRequest<AbmToken>(`${one(id)}/token`, {
    method: 'PUT',
    rawBody: file,
    contentType: 'application/octet-stream',
  });
}

/** Starts a device sync with Apple now (202); 409 TOKEN_NOT_CONNECTED for a token still awaiting its file. */
export function syncAbmToken(id: string): Promise<AbmToken> {
  return apiRequest<AbmToken>(`${one(id)}/sync`, { method: 'POST' });
}

export function getEnrollmentProfile(id: string, signal?: AbortSignal): Promise<EnrollmentProfile> {
  return apiRequest<EnrollmentProfile>(`${one(id)}/enrollment-profile`, { signal });
}

/** Saves the token's default profile; Orchard defines it with Apple and re-assigns it to the token's devices. */
export function saveEnrollmentProfile(id: string, profile: EnrollmentProfileInput): Promise<EnrollmentProfile> {
  return apiRequest<EnrollmentProfile>(`${one(id)}/enrollment-profile`, {
    method: 'PUT',
    body: { ...profile },
  });
}
