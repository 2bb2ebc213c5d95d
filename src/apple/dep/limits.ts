/**
 * Apple's documented request limits, checked before sending so a caller bug fails here with a
 * clear message instead of as an opaque 400 from Apple.
 */
import { ValidationError } from '../../domain/errors.js';

/** Maximum `limit` for fetch/sync and maximum serials per device-list call. */
export const MAX_DEVICES_PER_CALL = 1000;

export function checkLimit(limit: number | undefined): void {
  if (limit === undefined) return;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DEVICES_PER_CALL) {
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_DEVICES_PER_CALL}; got ${limit}.`, 'limit');
  }
}

export function checkSerials(serials: readonly string[]): void {
  if (serials.length > MAX_DEVICES_PER_CALL) {
    throw new ValidationError(
      `Apple accepts at most ${MAX_DEVICES_PER_CALL} serial numbers per call; got ${serials.length}. Send them in batches.`,
      'devices',
    );
  }
  const blank = serials.findIndex((serial) => typeof serial !== 'string' || serial.trim() === '');
  if (blank !== -1) throw new ValidationError(`devices[${blank}] is not a serial number.`, 'devices');
}
