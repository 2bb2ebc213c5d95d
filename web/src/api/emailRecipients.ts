import { apiRequest } from './client';
import type { EmailRecipient } from './types';

const base = '/api/v1/email-recipients';

export interface NewEmailRecipient {
  email: string;
  /** Null: MSP-wide (admins only). */
  customerId: string | null;
}

/** Without a customer: every recipient the user may see (MSP-wide ones for admins); with one: that customer's. */
export async function listEmailRecipients(customerId: string | null, signal?: AbortSignal): Promise<EmailRecipient[]> {
  const page = await apiRequest<{ items: EmailRecipient[] }>(base, {
    query: { customerId: customerId ?? undefined },
    signal,
  });
  return page.items;
}

export function addEmailRecipient(input: NewEmailRecipient): Promise<EmailRecipient> {
  return apiRequest<EmailRecipient>(base, { method: 'POST', body: { ...input } });
}

export function removeEmailRecipient(id: string): Promise<void> {
  return apiRequest<void>(`${base}/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/**
 * "Send test email" (admins): resolves once the mail server took it. 503 EMAIL_NOT_CONFIGURED
 * without ORCHARD_SMTP_URL, 503 SMTP_FAILED with what the mail server answered.
 */
export function sendTestEmail(to: string): Promise<void> {
  return apiRequest<void>(`${base}/test`, { method: 'POST', body: { to } });
}
