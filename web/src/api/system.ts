import { apiRequest } from './client';
import type { SystemInfo } from './types';

export function getSystemInfo(signal?: AbortSignal): Promise<SystemInfo> {
  return apiRequest<SystemInfo>('/api/v1/system', { signal });
}
