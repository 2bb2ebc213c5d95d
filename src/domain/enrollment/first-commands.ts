import {
  DEVICE_INFORMATION_QUERIES,
  commandPlist,
  newCommandUuid,
  type CommandPayload,
} from '../../mdm/command-messages.js';
import type { NewCommand } from '../../store/repositories/mdm-commands.js';

export function newCommand(payload: CommandPayload): NewCommand {
  const commandUuid = newCommandUuid();
  return { commandUuid, requestType: payload.requestType, plist: commandPlist(commandUuid, payload) };
}

/**
 * What Orchard asks a device right after it enrolls: who it is (DeviceInformation, whose answer
 * fills in the device's name, OS and model), then — when Setup Assistant is waiting for us —
 * DeviceConfigured, deliberately last, so the device leaves Setup Assistant only after the
 * first-boot commands have run (devices stuck "Awaiting configuration" are a classic failure).
 */
export function firstBootCommands(awaitingConfiguration: boolean): NewCommand[] {
  const commands = [
    newCommand({ requestType: 'DeviceInformation', parameters: { Queries: [...DEVICE_INFORMATION_QUERIES] } }),
  ];
  if (awaitingConfiguration) commands.push(newCommand({ requestType: 'DeviceConfigured' }));
  return commands;
}
