import { isApiError } from '../../../api';

/** The heading above the server's explanation, per problem code; the detail says what to do. */
const TITLES: Record<string, string> = {
  TOKEN_NOT_A_TOKEN_FILE: 'Not a server token',
  TOKEN_WRONG_KEY: 'Token made for a different public key',
  TOKEN_CORRUPT: 'Damaged token file',
  TOKEN_MISSING_FIELDS: 'Incomplete server token',
  TOKEN_EXPIRED: 'Expired token',
  TOKEN_FILE_EMPTY: 'Empty file',
  TOKEN_FILE_TOO_LARGE: 'File too large',
  BODY_TOO_LARGE: 'File too large',
  TOKEN_SERVER_MISMATCH: 'Token belongs to another MDM server',
  TOKEN_SERVER_ALREADY_CONNECTED: 'MDM server already connected',
  DEP_TERMS_NOT_ACCEPTED: 'Terms and conditions not accepted',
  DEP_TOKEN_REJECTED: 'Apple rejected the token',
  APPLE_UNAVAILABLE: 'Apple did not answer',
  NOT_FOUND: 'Token not found',
  NETWORK_ERROR: 'Orchard is unreachable',
};

export interface UploadProblem {
  code: string;
  title: string;
  detail: string;
}

export function uploadProblem(error: unknown): UploadProblem {
  if (isApiError(error)) {
    return { code: error.code, title: TITLES[error.code] ?? 'Token not uploaded', detail: error.detail };
  }
  return {
    code: 'CLIENT_ERROR',
    title: 'Token not uploaded',
    detail: error instanceof Error && error.message ? error.message : 'The upload failed.',
  };
}

/** Client-side checks mirror the server's codes so the same titles appear. */
export const MAX_TOKEN_FILE_BYTES = 1024 * 1024;

export function emptyFileProblem(name: string): UploadProblem {
  return {
    code: 'TOKEN_FILE_EMPTY',
    title: TITLES.TOKEN_FILE_EMPTY ?? 'Empty file',
    detail: `“${name}” is empty (0 bytes). Download the token again in Apple Business Manager (Download Token › Download Server Token) and select the downloaded file.`,
  };
}

export function tooLargeProblem(name: string, size: string): UploadProblem {
  return {
    code: 'TOKEN_FILE_TOO_LARGE',
    title: TITLES.TOKEN_FILE_TOO_LARGE ?? 'File too large',
    detail: `“${name}” is ${size}, but a server token from Apple Business Manager is a few kilobytes (at most 1 MB). Select the file Apple Business Manager downloaded; its name ends in _smime.p7m.`,
  };
}

export function tooManyFilesProblem(): UploadProblem {
  return {
    code: 'TOO_MANY_FILES',
    title: 'One file at a time',
    detail: 'Select or drop only the one server token file (…_smime.p7m) downloaded from Apple Business Manager.',
  };
}
