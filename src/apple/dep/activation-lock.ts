/** `POST /device/activationlock`: turn on Activation Lock for a supervised device, with a bypass code. */
import { ValidationError } from '../../domain/errors.js';
import type { CallOptions, DepRequester } from './transport.js';
import { expectObject, str } from './wire.js';

export interface ActivationLockRequest {
  /** Serial number. */
  readonly device: string;
  /** Hash of the bypass code. A secret: never logged or put in an error. */
  readonly escrowKey?: string;
  readonly lostMessage?: string;
}

export interface ActivationLockResult {
  readonly serialNumber: string;
  /** SUCCESS, NOT_ACCESSIBLE, ORG_NOT_SUPPORTED, DEVICE_NOT_SUPPORTED, DEVICE_ALREADY_LOCKED, FAILED, … */
  readonly responseStatus: string | null;
}

/** Changes device state at Apple: not retried after a network failure that may have reached Apple. */
export async function activationLock(
  api: DepRequester,
  request: ActivationLockRequest,
  options: CallOptions = {},
): Promise<ActivationLockResult> {
  if (request.device.trim() === '') throw new ValidationError('A serial number is required.', 'device');
  const body: Record<string, unknown> = { device: request.device };
  if (request.escrowKey !== undefined) body['escrow_key'] = request.escrowKey;
  if (request.lostMessage !== undefined) body['lost_message'] = request.lostMessage;
  const answer = expectObject(
    'POST /device/activationlock',
    await api.request({ method: 'POST', path: '/device/activationlock', body, idempotent: false, ...options }),
  );
  return {
    serialNumber: str(answer, 'serial_number') ?? request.device,
    responseStatus: str(answer, 'response_status'),
  };
}
