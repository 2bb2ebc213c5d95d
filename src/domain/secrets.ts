import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../security/secret-box.js';
import type { SecretRepository } from '../store/repositories/secrets.js';
import { isoNow, type Clock } from './clock.js';

/**
 * The one place secrets are written and read. Plaintext exists only in the caller's memory;
 * the database holds AES-256-GCM ciphertext bound (as associated data) to the row's id and
 * purpose, so a ciphertext copied onto another row will not open.
 */
export class SecretStore {
  constructor(
    private readonly repository: SecretRepository,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** The same store writing through another repository, e.g. one inside a transaction. */
  using(repository: SecretRepository): SecretStore {
    return new SecretStore(repository, this.box, this.clock);
  }

  async put(purpose: string, plaintext: Buffer | string): Promise<string> {
    const id = randomUUID();
    const sealed = this.box.seal(plaintext, aad(id, purpose));
    await this.repository.insert({ id, purpose, sealed, keyId: this.box.currentKeyId, now: isoNow(this.clock) });
    return id;
  }

  async get(id: string): Promise<Buffer | undefined> {
    const stored = await this.repository.findById(id);
    return stored === undefined ? undefined : this.box.open(stored.sealed, aad(stored.id, stored.purpose));
  }

  delete(id: string): Promise<boolean> {
    return this.repository.delete(id);
  }

  async deleteAll(ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.repository.delete(id);
  }

  /**
   * Re-seals every secret not under the current master key. Safe to run while Orchard
   * serves (each row is swapped only if unchanged) and to re-run after an interruption.
   */
  async rotateAll(batchSize = 200): Promise<{ resealed: number }> {
    let resealed = 0;
    let after = '';
    for (;;) {
      const batch = await this.repository.listNotUnderKey(this.box.currentKeyId, after, batchSize);
      for (const stored of batch) {
        const sealed = this.box.reseal(stored.sealed, aad(stored.id, stored.purpose));
        const swapped = await this.repository.replaceSealed(stored.id, stored.sealed, {
          sealed,
          keyId: this.box.currentKeyId,
          now: isoNow(this.clock),
        });
        if (swapped) resealed += 1;
      }
      const last = batch.at(-1);
      if (last === undefined || batch.length < batchSize) return { resealed };
      after = last.id;
    }
  }
}

function aad(id: string, purpose: string): string {
  return `secret:${id}:${purpose}`;
}
