import { apiRequest } from './client';
import type { Session, SessionInfo } from './types';

export function login(email: string, password: string): Promise<Session> {
  return apiRequest<Session>('/api/v1/auth/login', {
    method: 'POST',
    body: { email, password },
    handleUnauthorized: false,
  });
}

export function fetchSession(signal?: AbortSignal): Promise<Session> {
  return apiRequest<Session>('/api/v1/auth/me', { signal, handleUnauthorized: false });
}

export function logout(): Promise<void> {
  return apiRequest<void>('/api/v1/auth/logout', { method: 'POST', handleUnauthorized: false });
}

/** Changes the signed-in user's password; the server ends its other sessions. */
export function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  return apiRequest<void>('/api/v1/auth/password', { method: 'POST', body: { currentPassword, newPassword } });
}

/** Chooses a password with the token of a one-time invitation or reset link; needs no session. */
export function setPasswordWithLink(token: string, password: string): Promise<void> {
  return apiRequest<void>('/api/v1/auth/password-link', {
    method: 'POST',
    body: { token, password },
    handleUnauthorized: false,
  });
}

export async function listSessions(signal?: AbortSignal): Promise<SessionInfo[]> {
  const page = await apiRequest<{ items: SessionInfo[] }>('/api/v1/auth/sessions', { signal });
  return page.items;
}

export function endSession(id: string): Promise<void> {
  return apiRequest<void>(`/api/v1/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** Ends every session of the signed-in user but this one; answers how many ended. */
export async function endOtherSessions(): Promise<number> {
  const result = await apiRequest<{ ended: number }>('/api/v1/auth/sessions', { method: 'DELETE' });
  return result.ended;
}
