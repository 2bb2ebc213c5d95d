export * from './types';
export * from './errors';
export { apiRequest, setCsrfToken, setUnauthorizedHandler, setCsrfRefresher } from './client';
export * as authApi from './auth';
export * as customersApi from './customers';
export * as sitesApi from './sites';
export * as abmTokensApi from './abmTokens';
export * as devicesApi from './devices';
export * as systemApi from './system';
