/**
 * The device's SCEP key. A real device makes a fresh RSA 2048 key for its identity; making
 * one takes tens of milliseconds of the simulator's CPU, which would dominate a benchmark of
 * the server. A KeyPool makes N pairs once and hands them out round-robin, so devices in the
 * same run share keys (the server is not meant to notice, and must not care).
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { ScepKeyPair } from '../mdm/scep/client.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export async function newDeviceKey(): Promise<ScepKeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
}

export interface KeySource {
  next(): Promise<ScepKeyPair>;
}

/** A fresh key per device, as a device does. */
export const FRESH_KEYS: KeySource = { next: newDeviceKey };

export class KeyPool implements KeySource {
  private index = 0;

  private constructor(private readonly keys: readonly ScepKeyPair[]) {}

  /** Generates `size` RSA 2048 key pairs (in parallel on libuv's thread pool). */
  static async generate(size: number): Promise<KeyPool> {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a key pool holds at least one key');
    return new KeyPool(await Promise.all(Array.from({ length: size }, () => newDeviceKey())));
  }

  get size(): number {
    return this.keys.length;
  }

  async next(): Promise<ScepKeyPair> {
    const key = this.keys[this.index % this.keys.length];
    this.index += 1;
    if (key === undefined) throw new RangeError('empty key pool');
    return key;
  }
}
