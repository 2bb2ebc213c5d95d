import { randomUUID } from 'node:crypto';
import type { Page, PageRequest } from '../store/paging.js';
import type { Attachments, Customer, CustomerRepository } from '../store/repositories/customers.js';
import type { Transactor } from '../store/repositories/index.js';
import type { Site, SiteRepository } from '../store/repositories/sites.js';
import { recordAudit } from './audit.js';
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
    private readonly transactor: Transactor,
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
    return this.transactor.transaction(async (repos) => {
      const created = await repos.customers.insert({ id: randomUUID(), name, nameKey: key, now: isoNow(this.clock) });
      if (created === 'name_taken') throw new NameTakenError('customer', name);
      await recordAudit(
        repos.auditEvents,
        principal,
        { action: 'customer.created', target: customerTarget(created), customerId: created.id },
        this.clock,
      );
      return created;
    });
  }

  async rename(principal: Principal, id: string, rawName: unknown): Promise<Customer> {
    const before = await this.get(principal, id);
    const { name, key } = normaliseName(rawName, 'customer');
    return this.transactor.transaction(async (repos) => {
      const result = await repos.customers.rename(id, name, key, isoNow(this.clock));
      if (result === 'not_found') throw new NotFoundError('customer', id);
      if (result === 'name_taken') throw new NameTakenError('customer', name);
      if (before.name !== result.name) {
        await recordAudit(
          repos.auditEvents,
          principal,
          {
            action: 'customer.renamed',
            target: customerTarget(result),
            customerId: id,
            details: { name: { from: before.name, to: result.name } },
          },
          this.clock,
        );
      }
      return result;
    });
  }

  async delete(principal: Principal, id: string): Promise<void> {
    requireAdmin(principal, 'delete customers');
    const customer = await this.get(principal, id);
    await this.transactor.transaction(async (repos) => {
      const result = await repos.customers.delete(id);
      if (result === 'not_found') throw new NotFoundError('customer', id);
      if (result !== 'deleted') {
        throw new DomainError(
          'conflict',
          'CUSTOMER_NOT_EMPTY',
          `This customer still has ${describe(result.attached)}. Delete or move them first, then delete the customer.`,
          { attached: result.attached },
        );
      }
      await recordAudit(
        repos.auditEvents,
        principal,
        { action: 'customer.deleted', target: customerTarget(customer), customerId: id },
        this.clock,
      );
    });
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
    return this.transactor.transaction(async (repos) => {
      const created = await repos.sites.insert({
        id: randomUUID(),
        customerId,
        name,
        nameKey: key,
        now: isoNow(this.clock),
      });
      // The customer was deleted between the lookup and the insert.
      if (created === 'customer_not_found') throw new NotFoundError('customer', customerId);
      if (created === 'name_taken') throw new NameTakenError('site', name, customer.name);
      await recordAudit(
        repos.auditEvents,
        principal,
        { action: 'site.created', target: siteTarget(created), customerId, siteId: created.id },
        this.clock,
      );
      return created;
    });
  }

  async renameSite(principal: Principal, id: string, rawName: unknown): Promise<Site> {
    const site = await this.getSite(principal, id);
    const { name, key } = normaliseName(rawName, 'site');
    const customer = await this.customers.findById(site.customerId);
    return this.transactor.transaction(async (repos) => {
      const result = await repos.sites.rename(id, name, key, isoNow(this.clock));
      if (result === 'not_found') throw new NotFoundError('site', id);
      if (result === 'name_taken') throw new NameTakenError('site', name, customer?.name);
      if (site.name !== result.name) {
        await recordAudit(
          repos.auditEvents,
          principal,
          {
            action: 'site.renamed',
            target: siteTarget(result),
            customerId: site.customerId,
            siteId: id,
            details: { name: { from: site.name, to: result.name } },
          },
          this.clock,
        );
      }
      return result;
    });
  }

  async deleteSite(principal: Principal, id: string): Promise<void> {
    const site = await this.getSite(principal, id);
    await this.transactor.transaction(async (repos) => {
      const result = await repos.sites.delete(id);
      if (result === 'not_found') throw new NotFoundError('site', id);
      if (result !== 'deleted') {
        throw new DomainError(
          'conflict',
          'SITE_NOT_EMPTY',
          `This site still has ${describe(result.attached)}. Move or delete them first, then delete the site.`,
          { attached: result.attached },
        );
      }
      await recordAudit(
        repos.auditEvents,
        principal,
        { action: 'site.deleted', target: siteTarget(site), customerId: site.customerId, siteId: id },
        this.clock,
      );
    });
  }
}

function customerTarget(customer: Customer) {
  return { type: 'customer', id: customer.id, label: customer.name };
}

function siteTarget(site: Site) {
  return { type: 'site', id: site.id, label: site.name };
}

function describe(attached: Attachments): string {
  const parts = Object.entries(attached)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${n === 1 ? what.replace(/s$/, '') : what}`);
  return parts.length === 0 ? 'things attached to it' : parts.join(' and ');
}
