/**
 * One SCEP PKIOperation, start to finish: read the request, let the authority decide, answer
 * with a CertRep. The endpoint stays a thin mapping of this result onto HTTP. The only path to
 * a SUCCESS CertRep is `authority.issue` returning ok.
 */
import { X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { ScepAuthority, ScepFailInfo } from './authority.js';
import { ScepError, type ScepErrorCode } from './errors.js';
import { buildCertRep, decodePkiMessage, prepareCa } from './message.js';

export type PkiOperationAnswer =
  | {
      readonly kind: 'certRep';
      readonly certRep: Buffer;
      readonly messageType: string;
      readonly transactionId: string;
      readonly status: 'SUCCESS' | 'FAILURE';
      /** FAILURE only. */
      readonly failInfo?: ScepFailInfo;
      /** Why it failed, for the log; never sent. */
      readonly reason?: string;
    }
  | { readonly kind: 'unreadable'; readonly code: ScepErrorCode; readonly reason: string };

export async function answerPkiOperation(
  message: Uint8Array,
  authority: ScepAuthority,
  now: Date,
): Promise<PkiOperationAnswer> {
  const ca = prepareCa(await authority.ca());
  let decoded: Awaited<ReturnType<typeof decodePkiMessage>>;
  try {
    decoded = await decodePkiMessage(message, ca, now);
  } catch (error) {
    if (error instanceof ScepError) return { kind: 'unreadable', code: error.code, reason: error.message };
    throw error;
  }
  const { header } = decoded;
  const failure = async (failInfo: ScepFailInfo, reason: string): Promise<PkiOperationAnswer> => ({
    kind: 'certRep',
    certRep: await buildCertRep({ header, ca, result: { status: 'FAILURE', failInfo }, now }),
    messageType: header.messageType,
    transactionId: header.transactionId,
    status: 'FAILURE',
    failInfo,
    reason,
  });
  if (decoded.kind === 'refused') return failure(decoded.failInfo, decoded.reason);

  const outcome = await authority.issue(decoded.request);
  if (!outcome.ok) return failure(outcome.failInfo, outcome.reason);
  assertIssuedForRequest(outcome.certificateDer, decoded.request.csr.publicKey);
  return {
    kind: 'certRep',
    certRep: await buildCertRep({
      header,
      ca,
      result: { status: 'SUCCESS', certificateDer: outcome.certificateDer },
      now,
    }),
    messageType: header.messageType,
    transactionId: header.transactionId,
    status: 'SUCCESS',
  };
}

/** A certificate for another key would be useless to the device: a bug in the authority, not input. */
function assertIssuedForRequest(certificateDer: Buffer, publicKey: KeyObject): void {
  const spki = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });
  if (!spki(new X509Certificate(certificateDer).publicKey).equals(spki(publicKey))) {
    throw new Error('the SCEP authority issued a certificate for a key other than the request’s');
  }
}
