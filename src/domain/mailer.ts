import nodemailer from 'nodemailer';
import { DomainError } from './errors.js';

export interface MailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

/** Sends mail; the one thing Orchard needs of SMTP. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/**
 * Mail through the SMTP server of ORCHARD_SMTP_URL (`smtp://user:pass@host:587`, STARTTLS when
 * the server offers it; `smtps://…:465` for TLS from the start), via nodemailer. A failure says
 * what the server answered, never the URL: it holds the password.
 */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(message) {
      try {
        await transport.sendMail({ from, to: [...message.to], subject: message.subject, text: message.text });
      } catch (error) {
        const { code, response } = error as { code?: string; response?: string };
        const said = response ?? code ?? 'no answer';
        throw new DomainError(
          'unavailable',
          'SMTP_FAILED',
          `The mail server did not take the message (${said}). Check ORCHARD_SMTP_URL and that the server accepts mail from ${from}.`,
        );
      }
    },
  };
}

/** Without ORCHARD_SMTP_URL: every attempt says how to turn email on. */
export const NO_MAILER: Mailer = {
  async send() {
    throw new DomainError(
      'unavailable',
      'EMAIL_NOT_CONFIGURED',
      'Email is off: set ORCHARD_SMTP_URL (and ORCHARD_SMTP_FROM) and restart Orchard.',
    );
  },
};
