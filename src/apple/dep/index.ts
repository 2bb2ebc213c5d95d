/** Apple's Device Assignment ("DEP") web service client. */
export { DepClient, type DepClientOptions } from './client.js';
export {
  APPLE_DEP_BASE_URL,
  DEFAULT_PROTOCOL_VERSION,
  DEFAULT_USER_AGENT,
  DepTransport,
  type CallOptions,
  type DepRequest,
  type DepRequester,
  type DepTransportOptions,
} from './transport.js';
export type { FetchLike } from './http.js';
export type { Sleep } from './retry.js';
export {
  fetchAllDevices,
  syncDevices,
  recoverFromCursorError,
  MAX_CURSOR_ECHOES,
  type CursorPage,
  type CursorRecovery,
  type DevicePager,
  type PagingOptions,
} from './cursor.js';
export type { Account, AccountUrl, OrgType } from './account.js';
export type {
  Device,
  DeviceDetails,
  DeviceFamily,
  DeviceOpType,
  DeviceOs,
  DevicePage,
  DeviceResponseStatus,
  FetchDevicesRequest,
  ProfileStatus,
  SyncDevicesRequest,
} from './devices.js';
export type { AssignProfileResult, AssignStatus, DefineProfileResult, Profile, ProfileDefinition } from './profiles.js';
export type { ActivationLockRequest, ActivationLockResult } from './activation-lock.js';
export { MAX_DEVICES_PER_CALL } from './limits.js';
export {
  DepError,
  DepAccessDeniedError,
  DepBadRequestError,
  DepCursorExhaustedError,
  DepCursorExpiredError,
  DepCursorInvalidError,
  DepCursorStuckError,
  DepTermsNotAcceptedError,
  DepThrottledError,
  DepTokenExpiredError,
  DepTokenRejectedError,
  DepUnavailableError,
  DepUnexpectedResponseError,
} from './errors.js';
