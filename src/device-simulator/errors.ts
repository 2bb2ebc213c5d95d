/**
 * Why an enrollment stopped, naming the step and, when a server answered, exactly what it
 * answered: the simulator exists to find out what the server does wrong, so the report is the
 * request and the response, not an interpretation.
 */

/** The steps of Automated Device Enrollment, in the order a device takes them. */
export const ENROLLMENT_STEPS = [
  /** Apple's record of the device (the sandbox portal). */
  'lookup',
  /** The factory identity burnt in at manufacture (the sandbox's device CA). */
  'identity',
  /** Activation: Apple hands the device its assigned DEP profile. */
  'activation',
  /** MachineInfo to the profile `url`; the enrollment profile back, verified. */
  'profile',
  /** GetCACert and PKIOperation with the profile's challenge. */
  'scep',
  'authenticate',
  'token-update',
  /** Polling the command endpoint until released. */
  'commands',
] as const;
export type EnrollmentStep = (typeof ENROLLMENT_STEPS)[number];

/** What a server answered, for a report: status, type and the start of the body. */
export interface ServerAnswer {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly contentType: string | null;
  /** UTF-8 text when the body reads as text, otherwise "<N bytes>"; at most 2,000 characters. */
  readonly body: string;
}

export type EnrollmentFailureCode =
  /** No answer: connection refused, reset, DNS, or the request timed out. */
  | 'UNREACHABLE'
  /** An answer the protocol does not allow at this step (status or content). */
  | 'UNEXPECTED_ANSWER'
  /** Apple has no profile for the device (not assigned to an MDM server, or no profile). */
  | 'NOT_ASSIGNED'
  /** The enrollment URL refused the device (403 problem, or 404 for an unknown key). */
  | 'ENROLLMENT_REFUSED'
  /** 403 com.apple.softwareupdate.required: the server wants a newer OS first. */
  | 'SOFTWARE_UPDATE_REQUIRED'
  /** The served profile's signature or payloads fail the device's checks. */
  | 'PROFILE_INVALID'
  /** The CA answered FAILURE or PENDING, or a CertRep that does not answer the request. */
  | 'SCEP_REFUSED'
  /** A check-in was refused. */
  | 'CHECKIN_REFUSED'
  /** A command the device could not read. */
  | 'COMMAND_UNREADABLE'
  /** Still not released from Setup Assistant when the polling budget ran out. */
  | 'POLL_TIMEOUT'
  /** The simulator itself failed (not the server): a bug, or a key it could not make. */
  | 'SIMULATOR_ERROR';

export class EnrollmentStepError extends Error {
  constructor(
    readonly step: EnrollmentStep,
    readonly code: EnrollmentFailureCode,
    message: string,
    readonly answer: ServerAnswer | null = null,
  ) {
    super(message);
    this.name = 'EnrollmentStepError';
  }
}
