/**
 * The bodies a device PUTs after installing its profile: the check-ins (Authenticate,
 * TokenUpdate; apple/device-management mdm/checkin) and its command-endpoint reports (Idle,
 * and an answer to each command it receives), as XML plists.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildPlist, isDict, parsePlistDict, type PlistDict, type PlistValue } from '../mdm/plist.js';
import type { SimulatedDevice } from './device-model.js';

export function authenticateBody(device: SimulatedDevice, topic: string): string {
  const body: Record<string, PlistValue> = {
    MessageType: 'Authenticate',
    UDID: device.udid,
    Topic: topic,
    SerialNumber: device.serial,
    Model: device.model,
    ModelName: device.modelName,
    DeviceName: device.deviceName,
    OSVersion: device.osVersion,
    BuildVersion: device.buildVersion,
    ProductName: device.productName,
  };
  if (device.imei !== null) body['IMEI'] = device.imei;
  return buildPlist(body);
}

export interface PushCredentials {
  /** The APNs device token: 32 bytes. */
  readonly token: Buffer;
  readonly pushMagic: string;
  readonly unlockToken: Buffer;
}

/** Fresh push credentials, as a device gets them from APNs and its keybag. */
export function newPushCredentials(): PushCredentials {
  return { token: randomBytes(32), pushMagic: randomUUID().toUpperCase(), unlockToken: randomBytes(48) };
}

export function tokenUpdateBody(
  device: SimulatedDevice,
  topic: string,
  push: PushCredentials,
  awaitingConfiguration: boolean,
): string {
  const body: Record<string, PlistValue> = {
    MessageType: 'TokenUpdate',
    UDID: device.udid,
    Topic: topic,
    Token: push.token,
    PushMagic: push.pushMagic,
    UnlockToken: push.unlockToken,
  };
  // Sent only during Setup Assistant with await_device_configured (Apple's TokenUpdate schema).
  if (awaitingConfiguration) body['AwaitingConfiguration'] = true;
  return buildPlist(body);
}

export function idleBody(device: SimulatedDevice): string {
  return buildPlist({ Status: 'Idle', UDID: device.udid });
}

/** A command as the device read it from the server's answer. */
export interface ReceivedCommand {
  readonly commandUuid: string;
  readonly requestType: string;
  readonly command: PlistDict;
}

export class CommandReadError extends Error {
  readonly code = 'COMMAND_UNREADABLE';
  constructor(message: string) {
    super(message);
    this.name = 'CommandReadError';
  }
}

/** The server's answer to a report: a command, or throws when it is not one. */
export function readCommand(body: Uint8Array): ReceivedCommand {
  let dict: PlistDict;
  try {
    dict = parsePlistDict(body);
  } catch (error) {
    throw new CommandReadError(error instanceof Error ? error.message : 'not a property list');
  }
  const commandUuid = dict['CommandUUID'];
  const command = dict['Command'];
  if (typeof commandUuid !== 'string' || commandUuid === '') throw new CommandReadError('no CommandUUID');
  if (!isDict(command)) throw new CommandReadError('no Command dictionary');
  const requestType = command['RequestType'];
  if (typeof requestType !== 'string' || requestType === '') throw new CommandReadError('no Command.RequestType');
  return { commandUuid, requestType, command };
}

export type CommandOutcome = 'Acknowledged' | 'Error' | 'NotNow' | 'CommandFormatError';

export interface CommandAnswer {
  readonly status: CommandOutcome;
  readonly body: string;
  /** DeviceConfigured: Setup Assistant may finish. */
  readonly releasesSetup: boolean;
}

/**
 * How this device answers a command: DeviceInformation with the queries it was asked (and
 * only those, as a device does), DeviceConfigured acknowledged, the few read-only queries a
 * fresh device can answer, and anything else refused the way iOS refuses a request type it
 * does not run (MCMDMErrorDomain 12021).
 */
export function answerCommand(device: SimulatedDevice, received: ReceivedCommand, state: DeviceState): CommandAnswer {
  const base = { UDID: device.udid, CommandUUID: received.commandUuid };
  switch (received.requestType) {
    case 'DeviceInformation': {
      const queries = received.command['Queries'];
      if (!Array.isArray(queries)) {
        return {
          status: 'CommandFormatError',
          releasesSetup: false,
          body: buildPlist({ ...base, Status: 'CommandFormatError' }),
        };
      }
      const answers = deviceInformation(device, state);
      const responses: Record<string, PlistValue> = {};
      for (const query of queries as readonly PlistValue[]) {
        if (typeof query !== 'string') continue;
        const value = answers[query];
        if (value !== undefined) responses[query] = value;
      }
      return {
        status: 'Acknowledged',
        releasesSetup: false,
        body: buildPlist({ ...base, Status: 'Acknowledged', QueryResponses: responses }),
      };
    }
    case 'DeviceConfigured':
      return { status: 'Acknowledged', releasesSetup: true, body: buildPlist({ ...base, Status: 'Acknowledged' }) };
    case 'ProfileList':
      return {
        status: 'Acknowledged',
        releasesSetup: false,
        body: buildPlist({ ...base, Status: 'Acknowledged', ProfileList: [] }),
      };
    case 'CertificateList':
      return {
        status: 'Acknowledged',
        releasesSetup: false,
        body: buildPlist({ ...base, Status: 'Acknowledged', CertificateList: [] }),
      };
    case 'InstalledApplicationList':
      return {
        status: 'Acknowledged',
        releasesSetup: false,
        body: buildPlist({ ...base, Status: 'Acknowledged', InstalledApplicationList: [] }),
      };
    default:
      return {
        status: 'Error',
        releasesSetup: false,
        body: buildPlist({
          ...base,
          Status: 'Error',
          ErrorChain: [
            {
              ErrorCode: 12021,
              ErrorDomain: 'MCMDMErrorDomain',
              LocalizedDescription: `Unsupported request type “${received.requestType}”.`,
              USEnglishDescription: `Unsupported request type “${received.requestType}”.`,
            },
          ],
        }),
      };
  }
}

/** What changes while the device talks to the server. */
export interface DeviceState {
  readonly supervised: boolean;
  readonly awaitingConfiguration: boolean;
}

/** Every DeviceInformation query this device answers, with its values (Apple's DeviceInformation schema). */
export function deviceInformation(device: SimulatedDevice, state: DeviceState): Readonly<Record<string, PlistValue>> {
  const answers: Record<string, PlistValue> = {
    DeviceName: device.deviceName,
    OSVersion: device.osVersion,
    BuildVersion: device.buildVersion,
    ModelName: device.modelName,
    Model: device.model,
    ProductName: device.productName,
    SerialNumber: device.serial,
    UDID: device.udid,
    WiFiMAC: device.wifiMac,
    BluetoothMAC: device.bluetoothMac,
    DeviceCapacity: device.deviceCapacity,
    AvailableDeviceCapacity: device.availableDeviceCapacity,
    IsSupervised: state.supervised,
    IsActivationLockEnabled: false,
    IsDeviceLocatorServiceEnabled: false,
    IsCloudBackupEnabled: false,
    IsMDMLostModeEnabled: false,
    AwaitingConfiguration: state.awaitingConfiguration,
    Languages: [device.language],
    Locales: [device.locale],
  };
  if (device.imei !== null) answers['IMEI'] = device.imei;
  if (device.family === 'Mac') answers['EthernetMACs'] = [];
  return answers;
}
