import type { Page, PageRequest } from '../store/paging.js';
import type {
  Device,
  DeviceFilter,
  DeviceRepository,
  DeviceScope,
  DeviceSummary,
} from '../store/repositories/devices.js';
import type { EnrollmentEvent } from '../store/repositories/enrollment-events.js';
import type { Repositories } from '../store/repositories/index.js';
import type { CommandStatus, EnrollmentState } from '../store/schema.js';
import { DomainError } from './errors.js';
import { customerScope, requireCustomerAccess, type Principal } from './principal.js';

export type { Device, DeviceSummary, EnrollmentEvent };

export interface DeviceCommand {
  readonly commandUuid: string;
  readonly requestType: string;
  readonly status: CommandStatus;
  readonly queuedBy: string;
  readonly queuedAt: string;
  readonly sentAt: string | null;
  readonly answeredAt: string | null;
  readonly errorChain: { code: number | null; domain: string | null; description: string | null }[] | null;
}

/** Apple's ErrorChain entries, reduced to what a technician reads. */
function errorChain(json: string): DeviceCommand['errorChain'] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) return [];
  return parsed.map((entry: Record<string, unknown>) => ({
    code: typeof entry['ErrorCode'] === 'number' ? entry['ErrorCode'] : null,
    domain: typeof entry['ErrorDomain'] === 'string' ? entry['ErrorDomain'] : null,
    description:
      typeof entry['LocalizedDescription'] === 'string'
        ? entry['LocalizedDescription']
        : typeof entry['USEnglishDescription'] === 'string'
          ? entry['USEnglishDescription']
          : null,
  }));
}

export interface DeviceQuery {
  readonly customerId?: string;
  readonly siteId?: string;
  readonly abmTokenId?: string;
  readonly enrollmentState?: EnrollmentState;
  readonly profileStatus?: string;
  /** Serial number prefix, any case. */
  readonly q?: string;
}

/** Devices as the MSP sees them: every filter within the principal's customers. */
export class DeviceService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly enrollment: Pick<Repositories, 'mdmCommands' | 'enrollmentEvents'>,
  ) {}

  /** The device's MDM commands, newest first, with each answer's status and error chain. */
  async commands(principal: Principal, serialNumber: string, limit: number): Promise<DeviceCommand[]> {
    const device = await this.get(principal, serialNumber);
    const commands = await this.enrollment.mdmCommands.listForDevice(device.serialNumber, limit);
    return commands.map((c) => ({
      commandUuid: c.commandUuid,
      requestType: c.requestType,
      status: c.status,
      queuedBy: c.queuedBy,
      queuedAt: c.queuedAt,
      sentAt: c.sentAt,
      answeredAt: c.answeredAt,
      errorChain: c.errorChain === null ? null : errorChain(c.errorChain),
    }));
  }

  /** The enrollment timeline, newest first, refusals and their reasons included. */
  async enrollmentEvents(principal: Principal, serialNumber: string, limit: number): Promise<EnrollmentEvent[]> {
    const device = await this.get(principal, serialNumber);
    return this.enrollment.enrollmentEvents.listForDevice(device.serialNumber, limit);
  }

  async list(principal: Principal, query: DeviceQuery, page: PageRequest): Promise<Page<Device>> {
    const filter: DeviceFilter = {
      ...this.scope(principal, query),
      ...(query.enrollmentState === undefined ? {} : { enrollmentState: query.enrollmentState }),
      ...(query.profileStatus === undefined ? {} : { profileStatus: query.profileStatus }),
      ...(query.q === undefined || query.q.trim() === '' ? {} : { serialPrefix: query.q.trim().toUpperCase() }),
    };
    return this.devices.list(filter, page);
  }

  async summary(
    principal: Principal,
    query: Pick<DeviceQuery, 'customerId' | 'siteId' | 'abmTokenId'>,
  ): Promise<DeviceSummary> {
    return this.devices.summary(this.scope(principal, query));
  }

  async get(principal: Principal, serialNumber: string): Promise<Device> {
    const device = await this.devices.get(serialNumber);
    const scope = customerScope(principal);
    if (
      device === undefined ||
      (scope !== undefined && (device.customerId === null || !scope.includes(device.customerId)))
    ) {
      throw new DomainError(
        'not_found',
        'NOT_FOUND',
        `No device with serial number "${serialNumber}" is known to Orchard. Check the serial, or sync its ABM token.`,
      );
    }
    return device;
  }

  private scope(principal: Principal, query: Pick<DeviceQuery, 'customerId' | 'siteId' | 'abmTokenId'>): DeviceScope {
    if (query.customerId !== undefined) requireCustomerAccess(principal, query.customerId);
    const onlyCustomerIds = customerScope(principal);
    return {
      ...(query.customerId === undefined ? {} : { customerId: query.customerId }),
      ...(query.siteId === undefined ? {} : { siteId: query.siteId }),
      ...(query.abmTokenId === undefined ? {} : { abmTokenId: query.abmTokenId }),
      ...(onlyCustomerIds === undefined ? {} : { onlyCustomerIds }),
    };
  }
}
