import { apiRequest } from './client';
import type { Session } from './types';

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
