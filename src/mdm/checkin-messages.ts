/**
 * Check-in messages (PUT to the profile's CheckInURL, Content-Type
 * application/x-apple-aspen-mdm-checkin): Apple's mdm/checkin schemas, nanomdm's set.
 * User-channel messages carry a UserID (macOS); Orchard manages the device channel.
 */
import { MdmProtocolError } from './errors.js';
import { flag, optionalData, optionalString, requiredString } from './plist-fields.js';
import { parsePlistDict, type PlistDict } from './plist.js';

export interface DeviceFacts {
  readonly serialNumber: string | null;
  readonly model: string | null;
  readonly modelName: string | null;
  readonly deviceName: string | null;
  readonly osVersion: string | null;
  readonly buildVersion: string | null;
  readonly productName: string | null;
  readonly imei: string | null;
  readonly meid: string | null;
}

export type CheckinMessage =
  | ({ readonly type: 'Authenticate'; readonly udid: string; readonly topic: string } & DeviceFacts)
  | {
      readonly type: 'TokenUpdate';
      readonly udid: string;
      readonly topic: string;
      readonly token: Buffer;
      readonly pushMagic: string;
      readonly unlockToken: Buffer | null;
      readonly awaitingConfiguration: boolean;
    }
  | { readonly type: 'CheckOut'; readonly udid: string; readonly topic: string }
  | { readonly type: 'SetBootstrapToken'; readonly udid: string; readonly bootstrapToken: Buffer | null }
  | { readonly type: 'GetBootstrapToken'; readonly udid: string }
  | { readonly type: 'UserAuthenticate'; readonly udid: string }
  /** Known to Apple, not served by Orchard yet (DeclarativeManagement, GetToken, ReturnToService). */
  | { readonly type: 'Unsupported'; readonly messageType: string; readonly udid: string }
  /** Any message on a user channel (UserID present): acknowledged, not acted on. */
  | { readonly type: 'UserChannel'; readonly messageType: string; readonly udid: string };

const CODE = 'CHECKIN_MALFORMED';
const UNSUPPORTED = new Set(['DeclarativeManagement', 'GetToken', 'ReturnToService']);

export function parseCheckin(body: Uint8Array): CheckinMessage {
  const dict = parsePlistDict(body);
  const messageType = requiredString(dict, 'MessageType', CODE);
  const udid = requiredString(dict, 'UDID', CODE);
  if (messageType === 'UserAuthenticate') return { type: 'UserAuthenticate', udid };
  if (optionalString(dict, 'UserID') !== null || optionalString(dict, 'EnrollmentUserID') !== null) {
    return { type: 'UserChannel', messageType, udid };
  }
  switch (messageType) {
    case 'Authenticate':
      return { type: 'Authenticate', udid, topic: requiredString(dict, 'Topic', CODE), ...deviceFacts(dict) };
    case 'TokenUpdate': {
      const token = optionalData(dict, 'Token');
      if (token === null || token.length === 0) throw new MdmProtocolError(CODE, 'TokenUpdate has no Token');
      return {
        type: 'TokenUpdate',
        udid,
        topic: requiredString(dict, 'Topic', CODE),
        token,
        pushMagic: requiredString(dict, 'PushMagic', CODE),
        unlockToken: optionalData(dict, 'UnlockToken'),
        awaitingConfiguration: flag(dict, 'AwaitingConfiguration'),
      };
    }
    case 'CheckOut':
      return { type: 'CheckOut', udid, topic: requiredString(dict, 'Topic', CODE) };
    case 'SetBootstrapToken':
      // Absent BootstrapToken: the device asks the server to forget the one it holds.
      return { type: 'SetBootstrapToken', udid, bootstrapToken: optionalData(dict, 'BootstrapToken') };
    case 'GetBootstrapToken':
      return { type: 'GetBootstrapToken', udid };
    default:
      if (UNSUPPORTED.has(messageType)) return { type: 'Unsupported', messageType, udid };
      throw new MdmProtocolError('CHECKIN_UNKNOWN_MESSAGE', `unknown MessageType "${messageType.slice(0, 64)}"`);
  }
}

export function deviceFacts(dict: PlistDict): DeviceFacts {
  return {
    serialNumber: optionalString(dict, 'SerialNumber'),
    model: optionalString(dict, 'Model'),
    modelName: optionalString(dict, 'ModelName'),
    deviceName: optionalString(dict, 'DeviceName'),
    osVersion: optionalString(dict, 'OSVersion'),
    buildVersion: optionalString(dict, 'BuildVersion'),
    productName: optionalString(dict, 'ProductName'),
    imei: optionalString(dict, 'IMEI'),
    meid: optionalString(dict, 'MEID'),
  };
}
