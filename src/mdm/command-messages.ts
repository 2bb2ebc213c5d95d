/**
 * The command endpoint (PUT to the profile's ServerURL): the device reports `Idle` or the
 * result of the last command, and the server answers with the next command or an empty body.
 */
import { randomUUID } from 'node:crypto';
import { MdmProtocolError } from './errors.js';
import { optionalString, requiredString } from './plist-fields.js';
import { buildPlist, isDict, parsePlistDict, type PlistDict, type PlistValue } from './plist.js';

export const REPORT_STATUSES = ['Idle', 'Acknowledged', 'Error', 'CommandFormatError', 'NotNow'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export type CommandReport =
  | { readonly status: 'Idle'; readonly udid: string; readonly userChannel: boolean }
  | {
      readonly status: Exclude<ReportStatus, 'Idle'>;
      readonly udid: string;
      readonly userChannel: boolean;
      readonly commandUuid: string;
      /** Present with Error / CommandFormatError: Apple's ErrorChain entries. */
      readonly errorChain: readonly PlistDict[];
      /** The whole report, as the device sent it. */
      readonly body: PlistDict;
    };

const CODE = 'COMMAND_REPORT_MALFORMED';

export function parseCommandReport(body: Uint8Array): CommandReport {
  const dict = parsePlistDict(body);
  const udid = requiredString(dict, 'UDID', CODE);
  const status = requiredString(dict, 'Status', CODE);
  const userChannel = optionalString(dict, 'UserID') !== null || optionalString(dict, 'EnrollmentUserID') !== null;
  if (!(REPORT_STATUSES as readonly string[]).includes(status)) {
    throw new MdmProtocolError(CODE, `unknown Status "${status.slice(0, 64)}"`);
  }
  if (status === 'Idle') return { status: 'Idle', udid, userChannel };
  const chain = dict['ErrorChain'];
  return {
    status: status as Exclude<ReportStatus, 'Idle'>,
    udid,
    userChannel,
    commandUuid: requiredString(dict, 'CommandUUID', CODE),
    errorChain: Array.isArray(chain) ? chain.filter(isDict) : [],
    body: dict,
  };
}

export interface CommandPayload {
  readonly requestType: string;
  /** Everything in the Command dictionary besides RequestType. */
  readonly parameters?: PlistDict;
}

/** The plist a device receives: {CommandUUID, Command: {RequestType, …}}. */
export function commandPlist(commandUuid: string, payload: CommandPayload): string {
  const command: Record<string, PlistValue> = { RequestType: payload.requestType, ...payload.parameters };
  return buildPlist({ CommandUUID: commandUuid, Command: command });
}

export function newCommandUuid(): string {
  return randomUUID().toUpperCase();
}

/** The queries Orchard asks with DeviceInformation right after enrollment. */
export const DEVICE_INFORMATION_QUERIES = [
  'DeviceName',
  'OSVersion',
  'BuildVersion',
  'ModelName',
  'Model',
  'ProductName',
  'SerialNumber',
  'UDID',
  'IMEI',
  'MEID',
  'WiFiMAC',
  'BluetoothMAC',
  'EthernetMACs',
  'DeviceCapacity',
  'AvailableDeviceCapacity',
  'IsSupervised',
  'IsActivationLockEnabled',
  'IsMDMLostModeEnabled',
  'SupplementalBuildVersion',
] as const;
