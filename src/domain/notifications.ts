import { randomUUID } from 'node:crypto';
import type { Repositories } from '../store/repositories/index.js';
import type { EmailLine, Recipient } from '../store/repositories/notifications.js';
import { emailKey, parseEmail } from './accounts.js';
import type { Clock } from './clock.js';
import { DomainError, NotFoundError } from './errors.js';
import type { EventType, OutboxEvent } from './events.js';
import type { Mailer } from './mailer.js';
import { customerScope, requireAdmin, requireCustomerAccess, type Principal } from './principal.js';

export type { Recipient };

/** The events mailed to recipients: the token problems a person must act on. */
export const EMAILED_EVENTS: ReadonlySet<EventType> = new Set([
  'abm_token.expiring',
  'abm_token.expired',
  'abm_token.terms_not_accepted',
  'abm_token.rejected',
]);

/** A digest that cannot be sent is tried again each pass for this long, then dropped. */
const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * One line of a reminder: which token, what happened (headline), and what to do — the token's
 * status detail, word for word, as the token table shows it.
 */
export function emailLineOf(event: OutboxEvent): { headline: string; detail: string } | undefined {
  if (!EMAILED_EVENTS.has(event.type)) return undefined;
  const d = event.data;
  const where = `${String(d['customerName'])} › ${String(d['siteName'])}${d['mdmServer'] ? ` (${String(d['mdmServer'])})` : ''}`;
  const days = Number(d['daysLeft']);
  const what =
    event.type === 'abm_token.expiring'
      ? `ABM token expires in ${days} day${days === 1 ? '' : 's'}`
      : event.type === 'abm_token.expired'
        ? 'ABM token has expired'
        : event.type === 'abm_token.terms_not_accepted'
          ? 'Apple Business Manager has new terms to accept'
          : 'Apple rejected the ABM token';
  return { headline: `${where}: ${what}`, detail: String(d['statusDetail'] ?? '') };
}

/** Who gets reminders: MSP-wide recipients (admins) and each customer's (its technicians too). */
export class NotificationService {
  constructor(
    private readonly deps: {
      readonly repositories: Repositories;
      readonly mailer: Mailer;
      readonly clock: Clock;
      readonly publicBaseUrl: string;
    },
  ) {}

  list(principal: Principal, customerId?: string): Promise<Recipient[]> {
    if (customerId !== undefined) {
      requireCustomerAccess(principal, customerId);
      return this.deps.repositories.notifications.listRecipients({ customerIds: [customerId], mspWide: false });
    }
    const scope = customerScope(principal);
    return this.deps.repositories.notifications.listRecipients(
      scope === undefined ? { mspWide: true } : { customerIds: scope, mspWide: false },
    );
  }

  async add(principal: Principal, input: { email: string; customerId?: string | null }): Promise<Recipient> {
    const customerId = input.customerId ?? null;
    if (customerId === null) requireAdmin(principal, 'add MSP-wide email recipients');
    else {
      requireCustomerAccess(principal, customerId);
      if ((await this.deps.repositories.customers.findById(customerId)) === undefined) {
        throw new NotFoundError('customer', customerId);
      }
    }
    const email = parseEmail(input.email);
    const added = await this.deps.repositories.notifications.insertRecipient({
      id: randomUUID(),
      customerId,
      email,
      emailKey: emailKey(email),
      createdAt: this.deps.clock.now().toISOString(),
    });
    if (added === 'taken') {
      throw new DomainError('conflict', 'RECIPIENT_EXISTS', `${email} already gets these reminders.`);
    }
    return added;
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const found = await this.deps.repositories.notifications.findRecipient(id);
    const visible =
      found !== undefined &&
      (found.customerId === null
        ? principal.role === 'admin'
        : customerScope(principal)?.includes(found.customerId) !== false);
    if (!visible || found === undefined) throw new NotFoundError('email recipient', id);
    if (found.customerId === null) requireAdmin(principal, 'remove MSP-wide email recipients');
    await this.deps.repositories.notifications.deleteRecipient(id);
  }

  /** "Send test email": now, to one address, or the mail server's refusal as the error. */
  async sendTest(principal: Principal, to: string): Promise<void> {
    requireAdmin(principal, 'send test emails');
    await this.deps.mailer.send({
      to: [parseEmail(to)],
      subject: 'Orchard: test email',
      text: `This is a test from Orchard at ${this.deps.publicBaseUrl}. Token reminders will reach this address once it is added as a recipient.\n`,
    });
  }
}

/**
 * Sends each recipient's pending reminder lines as one digest, once the oldest has waited
 * `digestMs` (so a bad day is one mail, not fifty), under a lease per recipient so two
 * instances never mail the same lines. A digest the server refuses is tried again next pass,
 * for a day.
 */
export class EmailDigests {
  constructor(
    private readonly deps: {
      readonly repositories: Repositories;
      readonly mailer: Mailer;
      readonly clock: Clock;
      readonly digestMs: number;
      readonly owner: string;
      readonly publicBaseUrl: string;
    },
  ) {}

  /** Returns how many digests were sent. */
  async sendDue(): Promise<number> {
    const repo = this.deps.repositories.notifications;
    const now = this.deps.clock.now();
    const due = await repo.recipientsDue(new Date(now.getTime() - this.deps.digestMs).toISOString());
    let sent = 0;
    for (const recipient of due) {
      const until = new Date(now.getTime() + 5 * 60 * 1000).toISOString();
      const lines = await repo.leaseLines(recipient, this.deps.owner, now.toISOString(), until);
      if (lines.length === 0) continue;
      const ids = lines.map((l) => l.id);
      try {
        await this.deps.mailer.send({ to: [recipient], ...this.digest(lines) });
        await repo.markSent(ids, this.deps.owner, this.deps.clock.now().toISOString());
        sent += 1;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const oldest = Date.parse(lines[0]?.createdAt ?? now.toISOString());
        await repo.markFailed(
          ids,
          this.deps.owner,
          message,
          now.getTime() - oldest > GIVE_UP_AFTER_MS,
          now.toISOString(),
        );
      }
    }
    return sent;
  }

  private digest(lines: readonly EmailLine[]): { subject: string; text: string } {
    const [first] = lines;
    const subject =
      lines.length === 1 && first !== undefined
        ? `Orchard: ${first.headline}`
        : `Orchard: ${lines.length} ABM token reminders`;
    const body = lines.map((l) => `• ${l.headline}\n  ${l.detail}`).join('\n\n');
    return {
      subject,
      text: `${body}\n\nOpen Orchard: ${this.deps.publicBaseUrl}/apple/auto-enrollment\n`,
    };
  }
}
