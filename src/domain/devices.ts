import type { Page, PageRequest } from '../store/paging.js';
import type {
  Device,
  DeviceFilter,
  DeviceRepository,
  DeviceScope,
  DeviceSummary,
} from '../store/repositories/devices.js';
import type { EnrollmentState } from '../store/schema.js';
import { DomainError } from './errors.js';
import { customerScope, requireCustomerAccess, type Principal } from './principal.js';

export type { Device, DeviceSummary };

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
  constructor(private readonly devices: DeviceRepository) {}

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
