import { randomUUID } from 'node:crypto';
import type { Page, PageRequest } from '../store/paging.js';
import type { Attachments, Customer, CustomerRepository } from '../store/repositories/customers.js';
import type { Site, SiteRepository } from '../store/repositories/sites.js';
import { isoNow, type Clock } from './clock.js';
import { DomainError, NameTakenError, NotFoundError } from './errors.js';
import { normaliseName } from './names.js';
import { canSeeCustomer, customerScope, requireAdmin, requireCustomerAccess, type Principal } from './principal.js';

export type { Customer, Site };

/** MSP customers and their sites: the two levels every token and device hangs from. */
export class CustomerService {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly sites: SiteRepository,
    private readonly clock: Clock,
  ) {}

  async list(principal: Principal, query: PageRequest & { search?: string }): Promise<Page<Customer>> {
    const onlyIds = customerScope(principal);
    return this.customers.list({ ...query, ...(onlyIds === undefined ? {} : { onlyIds }) });
  }

  async get(principal: Principal, id: string): Promise<Customer> {
    requireCustomerAccess(principal, id);
    const customer = await this.customers.findById(id);
    if (customer === undefined) throw new NotFoundError('customer', id);
    return customer;
  }

  async create(principal: Principal, rawName: unknown): Promise<Customer> {
    requireAdmin(principal, 'create customers');
    const { name, key } = normaliseName(rawName, 'customer');
    const created = await this.customers.insert({ id: randomUUID(), name, nameKey: key, now: isoNow(this.clock) });
    if (created === 'name_taken') throw new NameTakenError('customer', name);
    return created;
  }

  async rename(principal: Principal, id: string, rawName: unknown): Promise<Customer> {
    requireCustomerAccess(principal, id);
    const { name, key } = normaliseName(rawName, 'customer');
    const result = await this.customers.rename(id, name, key, isoNow(this.clock));
    if (result === 'not_found') throw new NotFoundError('customer', id);
    if (result === 'name_taken') throw new NameTakenError('customer', name);
    return result;
  }

  async delete(principal: Principal, id: string): Promise<void> {
    requireAdmin(principal, 'delete customers');
    const result = await this.customers.delete(id);
    if (result === 'not_found') throw new NotFoundError('customer', id);
    if (result !== 'deleted') {
      throw new DomainError(
        'conflict',
        'CUSTOMER_NOT_EMPTY',
        `This customer still has ${describe(result.attached)}. Delete or move them first, then delete the customer.`,
        { attached: result.attached },
      );
    }
  }

  async listSites(principal: Principal, customerId: string, page: PageRequest): Promise<Page<Site>> {
    await this.get(principal, customerId);
    return this.sites.listByCustomer(customerId, page);
  }

  async getSite(principal: Principal, id: string): Promise<Site> {
    const site = await this.sites.findById(id);
    if (site === undefined || !canSeeCustomer(principal, site.customerId)) throw new NotFoundError('site', id);
    return site;
  }

  async createSite(principal: Principal, customerId: string, rawName: unknown): Promise<Site> {
    const customer = await this.get(principal, customerId);
    const { name, key } = normaliseName(rawName, 'site');
    const created = await this.sites.insert({
      id: randomUUID(),
      customerId,
      name,
      nameKey: key,
      now: isoNow(this.clock),
    });
    // The customer was deleted between the lookup and the insert.
    if (created === 'customer_not_found') throw new NotFoundError('customer', customerId);
    if (created === 'name_taken') throw new NameTakenError('site', name, customer.name);
    return created;
  }

  async renameSite(principal: Principal, id: string, rawName: unknown): Promise<Site> {
    const site = await this.getSite(principal, id);
    const { name, key } = normaliseName(rawName, 'site');
    const result = await this.sites.rename(id, name, key, isoNow(this.clock));
    if (result === 'not_found') throw new NotFoundError('site', id);
    if (result === 'name_taken') {
      const customer = await this.customers.findById(site.customerId);
      throw new NameTakenError('site', name, customer?.name);
    }
    return result;
  }

  async deleteSite(principal: Principal, id: string): Promise<void> {
    await this.getSite(principal, id);
    const result = await this.sites.delete(id);
    if (result === 'not_found') throw new NotFoundError('site', id);
    if (result !== 'deleted') {
      throw new DomainError(
        'conflict',
        'SITE_NOT_EMPTY',
        `This site still has ${describe(result.attached)}. Move or delete them first, then delete the site.`,
        { attached: result.attached },
      );
    }
  }
}


function describe(attached: Attachments): string {
  const parts = Object.entries(attached)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${n === 1 ? what.replace(/s$/, '') : what}`);
  return parts.length === 0 ? 'things attached to it' : parts.join(' and ');
}
