/**
 * The check-in endpoint (PUT CheckInURL) and the command endpoint (PUT ServerURL). Every
 * message is authenticated by its Mdm-Signature; the identity is bound to the enrollment at
 * Authenticate and every later message must be signed by that identity for that UDID. A
 * refusal is never 401: a device treats 401 as "unenroll me" (apple-protocols.md §3.1).
 */
import { X509Certificate } from 'node:crypto';
import { parseCheckin, type CheckinMessage } from '../../mdm/checkin-messages.js';
import { parseCommandReport, type CommandReport } from '../../mdm/command-messages.js';
import { MdmProtocolError } from '../../mdm/errors.js';
import { buildPlist, isDict, parsePlistDict, PlistError, type PlistDict } from '../../mdm/plist.js';
import type { ReportedFacts } from '../../store/repositories/device-enrollment-state.js';
import type { MdmEnrollment } from '../../store/repositories/mdm-enrollments.js';
import type { Repositories, Transactor } from '../../store/repositories/index.js';
import { isoNow, type Clock } from '../clock.js';
import type { SecretStore } from '../secrets.js';
import { firstBootCommands } from './first-commands.js';
import { checkMessageSignature } from './message-signature.js';
import type { SigningIdentities } from './signing-identities.js';

/** The same refusal again within this long is logged, not added to the device's timeline again. */
const REPEATED_REFUSAL_WINDOW_MS = 60 * 60 * 1000;

export type DeviceReply =
  | { readonly kind: 'ok'; readonly plist?: string }
  | {
      readonly kind: 'refused';
      readonly status: 400 | 403 | 410;
      readonly code: string;
      /** Logged, and shown on the device's timeline when the device is known. */
      readonly reason: string;
    };

const OK: DeviceReply = { kind: 'ok' };
/** Check-ins are a few KiB; an unsigned body larger than this is refused unread. */
const MAX_UNSIGNED_READ = 64 * 1024;

export class CheckIns {
  constructor(
    private readonly deps: {
      readonly repositories: Repositories;
      readonly transactor: Transactor;
      readonly secrets: SecretStore;
      readonly identities: SigningIdentities;
      readonly clock: Clock;
      readonly apnsTopic: string | null;
    },
  ) {}

  async checkIn(body: Buffer, signature: string | undefined): Promise<DeviceReply> {
    const signed = await this.verify(body, signature);
    if (!signed.ok) return this.refuseUnsigned(body, signed.reason);
    let message: CheckinMessage;
    try {
      message = parseCheckin(body);
    } catch (error) {
      return malformed(error, 'CHECKIN_MALFORMED');
    }

    if (message.type === 'Authenticate') return this.authenticate(message, signed.identitySha256);
    if (message.type === 'UserAuthenticate') {
      // Orchard does not serve user channels; 410 tells the device not to ask again.
      return {
        kind: 'refused',
        status: 410,
        code: 'USER_AUTHENTICATE_UNSUPPORTED',
        reason: 'user channels are not served',
      };
    }
    const enrollment = await this.boundEnrollment(message.udid, signed.identitySha256);
    if (!enrollment.ok) return this.refuse(message.udid, 403, 'CHECKIN_IDENTITY_MISMATCH', enrollment.reason);
    const { serialNumber } = enrollment.enrollment;
    const now = isoNow(this.deps.clock);

    switch (message.type) {
      case 'TokenUpdate':
        return this.tokenUpdate(message, enrollment.enrollment);
      case 'CheckOut':
        await this.deps.transactor.transaction(async (tx) => {
          await tx.mdmEnrollments.checkOut(serialNumber, now);
          await tx.deviceEnrollmentState.setMdmState(serialNumber, 'unenrolled', {}, now);
          await tx.mdmCommands.cancelOpen(serialNumber, now);
          await tx.enrollmentEvents.add(
            serialNumber,
            { kind: 'checked_out', detail: 'the device removed its MDM profile' },
            now,
          );
        });
        return OK;
      case 'SetBootstrapToken': {
        const previous = enrollment.enrollment.bootstrapSecretId;
        const secretId =
          message.bootstrapToken === null
            ? null
            : await this.deps.secrets.put('mdm.bootstrap_token', message.bootstrapToken);
        await this.deps.repositories.mdmEnrollments.setBootstrapSecret(serialNumber, secretId, now);
        if (previous !== null) await this.deps.secrets.delete(previous);
        return OK;
      }
      case 'GetBootstrapToken': {
        await this.deps.repositories.mdmEnrollments.touch(serialNumber, now);
        const id = enrollment.enrollment.bootstrapSecretId;
        const token = id === null ? undefined : await this.deps.secrets.get(id);
        return { kind: 'ok', plist: buildPlist(token === undefined ? {} : { BootstrapToken: token }) };
      }
      case 'UserChannel':
        await this.deps.repositories.mdmEnrollments.touch(serialNumber, now);
        return OK;
      case 'Unsupported':
        return this.refuse(message.udid, 400, 'CHECKIN_UNSUPPORTED', `${message.messageType} is not supported yet`);
    }
  }

  async connect(body: Buffer, signature: string | undefined): Promise<DeviceReply> {
    const signed = await this.verify(body, signature);
    if (!signed.ok) return this.refuseUnsigned(body, signed.reason);
    let report: CommandReport;
    try {
      report = parseCommandReport(body);
    } catch (error) {
      return malformed(error, 'COMMAND_REPORT_MALFORMED');
    }
    const bound = await this.boundEnrollment(report.udid, signed.identitySha256);
    if (!bound.ok) return this.refuse(report.udid, 403, 'CHECKIN_IDENTITY_MISMATCH', bound.reason);
    const enrollment = bound.enrollment;
    const { repositories, clock } = this.deps;
    const now = isoNow(clock);
    await Promise.all([
      repositories.mdmEnrollments.touch(enrollment.serialNumber, now),
      repositories.deviceEnrollmentState.touch(enrollment.serialNumber, now),
    ]);
    // Commands go to an enrolled device channel only.
    if (report.userChannel || enrollment.state !== 'enrolled') return OK;

    if (report.status !== 'Idle') await this.recordAnswer(enrollment.serialNumber, report, now);
    // A command the device put off with NotNow waits for its next Idle, which the device sends
    // when it can take commands again; other queued commands may go meanwhile (Apple's
    // "Handling NotNow": the server must not resend it in the same session).
    const next = await repositories.mdmCommands.takeNext(
      enrollment.serialNumber,
      { includeNotNow: report.status === 'Idle' },
      now,
    );
    return next === undefined ? OK : { kind: 'ok', plist: next.plist };
  }

  private async recordAnswer(serialNumber: string, report: Exclude<CommandReport, { status: 'Idle' }>, now: string) {
    const status = report.status === 'Acknowledged' ? 'acknowledged' : report.status === 'NotNow' ? 'not_now' : 'error';
    await this.deps.transactor.transaction(async (tx) => {
      const command = await tx.mdmCommands.answer(
        serialNumber,
        report.commandUuid,
        {
          status,
          result: buildPlist(report.body),
          errorChain:
            report.errorChain.length === 0 && report.status !== 'CommandFormatError'
              ? null
              : JSON.stringify(report.errorChain.length === 0 ? [{ ErrorDomain: report.status }] : report.errorChain),
        },
        now,
      );
      if (command === undefined || status !== 'acknowledged') return;
      if (command.requestType === 'DeviceInformation') {
        const responses = report.body['QueryResponses'];
        if (isDict(responses)) await tx.deviceEnrollmentState.recordFacts(serialNumber, reportedFacts(responses), now);
      } else if (command.requestType === 'DeviceConfigured') {
        await tx.mdmEnrollments.markReleased(serialNumber, now);
        await tx.enrollmentEvents.add(serialNumber, { kind: 'released', detail: 'Setup Assistant continued' }, now);
      }
    });
  }

  private async authenticate(message: Extract<CheckinMessage, { type: 'Authenticate' }>, identitySha256: string) {
    const { repositories, clock } = this.deps;
    const attempt = await repositories.enrollmentAttempts.findByIdentity(identitySha256);
    if (attempt === undefined) {
      return this.refuse(
        message.udid,
        403,
        'CHECKIN_IDENTITY_UNKNOWN',
        'signed by an identity Orchard did not issue for an enrollment',
      );
    }
    const latest = await repositories.enrollmentAttempts.latestIssued(attempt.serialNumber);
    if (latest !== undefined && latest.id !== attempt.id) {
      // A wiped device enrolls again with a new identity; the old one (a leaked backup, a
      // stolen disk) must not Authenticate its way back and take the enrollment over.
      return this.refuse(
        message.udid,
        403,
        'CHECKIN_IDENTITY_SUPERSEDED',
        'signed by an identity that a newer one issued to this device has replaced',
      );
    }
    if (attempt.udid !== message.udid) {
      return this.refuse(
        message.udid,
        403,
        'CHECKIN_IDENTITY_MISMATCH',
        `the identity was issued to UDID ${attempt.udid}, not ${message.udid}`,
      );
    }
    if (this.deps.apnsTopic !== null && message.topic !== this.deps.apnsTopic) {
      return this.refuse(message.udid, 403, 'CHECKIN_TOPIC_MISMATCH', `the device uses push topic ${message.topic}`);
    }
    const device = await repositories.deviceEnrollmentState.findCurrent(attempt.serialNumber);
    if (device === undefined || device.tokenId !== attempt.tokenId || device.removed || device.released) {
      return this.refuse(message.udid, 403, 'DEVICE_REMOVED', 'the device is no longer assigned to this ABM token');
    }
    const now = isoNow(clock);
    const stale = await this.deps.transactor.transaction(async (tx) => {
      const { staleSecretIds } = await tx.mdmEnrollments.authenticate(
        {
          serialNumber: attempt.serialNumber,
          udid: message.udid,
          attemptId: attempt.id,
          identitySha256,
          topic: message.topic,
        },
        now,
      );
      // A new enrollment starts with an empty queue (nanomdm does the same at Authenticate).
      await tx.mdmCommands.cancelOpen(attempt.serialNumber, now);
      await tx.deviceEnrollmentState.setMdmState(attempt.serialNumber, 'enrolling', { udid: message.udid }, now);
      await tx.deviceEnrollmentState.recordFacts(attempt.serialNumber, message, now);
      await tx.enrollmentEvents.add(
        attempt.serialNumber,
        { kind: 'authenticated', detail: [message.deviceName, message.osVersion].filter(Boolean).join(', ') || null },
        now,
      );
      return staleSecretIds;
    });
    await this.deps.secrets.deleteAll(stale);
    return OK;
  }

  private async tokenUpdate(message: Extract<CheckinMessage, { type: 'TokenUpdate' }>, enrollment: MdmEnrollment) {
    if (enrollment.state === 'checked_out') {
      return this.refuse(
        message.udid,
        403,
        'CHECKIN_CHECKED_OUT',
        'the device checked out; it must Authenticate again',
      );
    }
    const { clock, secrets } = this.deps;
    const now = isoNow(clock);
    const pushSecretId = await secrets.put(
      'mdm.push',
      JSON.stringify({
        token: message.token.toString('base64'),
        pushMagic: message.pushMagic,
        unlockToken: message.unlockToken?.toString('base64') ?? null,
      }),
    );
    await this.deps.transactor.transaction(async (tx) => {
      // Whether this TokenUpdate is the one that enrolls is the database's answer, not what was
      // read before: the same TokenUpdate resent to another instance must not queue the first
      // commands twice.
      const { first } = await tx.mdmEnrollments.enroll(
        enrollment.serialNumber,
        { pushSecretId, awaitingConfiguration: message.awaitingConfiguration },
        now,
      );
      if (!first) return;
      await tx.deviceEnrollmentState.setMdmState(
        enrollment.serialNumber,
        'enrolled',
        { udid: message.udid, enrolledAt: now },
        now,
      );
      await tx.enrollmentEvents.add(enrollment.serialNumber, { kind: 'enrolled', detail: `UDID ${message.udid}` }, now);
      await tx.mdmCommands.enqueue(
        { serialNumber: enrollment.serialNumber, udid: message.udid },
        firstBootCommands(message.awaitingConfiguration),
        'orchard',
        now,
      );
    });
    if (enrollment.pushSecretId !== null) await secrets.delete(enrollment.pushSecretId);
    return OK;
  }

  private async verify(body: Buffer, signature: string | undefined) {
    const ca = await this.deps.identities.deviceCa();
    return checkMessageSignature(body, signature, this.caCertificate(ca.certificatePem), this.deps.clock.now());
  }

  private caCache: { pem: string; certificate: X509Certificate } | undefined;
  private caCertificate(pem: string): X509Certificate {
    if (this.caCache?.pem !== pem) this.caCache = { pem, certificate: new X509Certificate(pem) };
    return this.caCache.certificate;
  }

  private async boundEnrollment(
    udid: string,
    identitySha256: string,
  ): Promise<{ ok: true; enrollment: MdmEnrollment } | { ok: false; reason: string }> {
    const enrollment = await this.deps.repositories.mdmEnrollments.findByUdid(udid);
    if (enrollment === undefined)
      return { ok: false, reason: `no enrollment for UDID ${udid}: the device must Authenticate first` };
    if (enrollment.identitySha256 !== identitySha256) {
      return { ok: false, reason: `signed by an identity that is not the one bound to UDID ${udid}` };
    }
    return { ok: true, enrollment };
  }

  /**
   * A message whose signature does not hold is read no further than its UDID, to put the
   * refusal on that device's timeline, and only when it is small: parsing is work an
   * unauthenticated sender must not be able to order by the megabyte.
   */
  private refuseUnsigned(body: Buffer, reason: string): Promise<DeviceReply> {
    let udid: string | null = null;
    if (body.length <= MAX_UNSIGNED_READ) {
      try {
        const value = parsePlistDict(body)['UDID'];
        if (typeof value === 'string' && value !== '' && value.length <= 256) udid = value;
      } catch (error) {
        if (!(error instanceof PlistError)) throw error;
      }
    }
    return this.refuse(udid, 403, 'CHECKIN_SIGNATURE_INVALID', reason);
  }

  /** Refuses, and puts the refusal on the timeline of the device the UDID belongs to, if any. */
  private async refuse(udid: string | null, status: 400 | 403, code: string, reason: string): Promise<DeviceReply> {
    const { repositories, clock } = this.deps;
    const enrollment = udid === null ? undefined : await repositories.mdmEnrollments.findByUdid(udid);
    if (enrollment !== undefined) {
      const now = clock.now();
      await repositories.enrollmentEvents.addUnlessRepeated(
        enrollment.serialNumber,
        { kind: 'checkin_refused', detail: reason },
        now.toISOString(),
        new Date(now.getTime() - REPEATED_REFUSAL_WINDOW_MS).toISOString(),
      );
    }
    return { kind: 'refused', status, code, reason };
  }
}

/** 400 with the parser's own code (CHECKIN_UNKNOWN_MESSAGE, …); an unreadable plist gets `plistCode`. */
function malformed(error: unknown, plistCode: 'CHECKIN_MALFORMED' | 'COMMAND_REPORT_MALFORMED'): DeviceReply {
  if (error instanceof MdmProtocolError)
    return { kind: 'refused', status: 400, code: error.code, reason: error.message };
  if (error instanceof PlistError) return { kind: 'refused', status: 400, code: plistCode, reason: error.message };
  throw error;
}

/** What DeviceInformation's QueryResponses say about the device, as the devices table keeps it. */
function reportedFacts(responses: PlistDict): ReportedFacts {
  const text = (key: string) => {
    const value = responses[key];
    return typeof value === 'string' ? value.slice(0, 256) : null;
  };
  return {
    deviceName: text('DeviceName'),
    osVersion: text('OSVersion'),
    buildVersion: text('BuildVersion'),
    modelName: text('ModelName'),
    productName: text('ProductName'),
  };
}
