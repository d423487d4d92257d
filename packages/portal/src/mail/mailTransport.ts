import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";

export interface MailMessage {
  readonly messageId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly attachments: ReadonlyArray<{ filename: string; content: Buffer; contentType: string }>;
}

/** Where e-mail goes: an SMTP server, or the demo's built-in catcher. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** SMTP through nodemailer: `smtp://user:pass@host:port` or `smtps://…`. */
export function smtpTransport(url: string, from: string, timeoutMilliseconds = 10_000): MailTransport {
  const options: SMTPTransport.Options & { url: string; pool: true; maxConnections: number } = {
    url,
    pool: true,
    maxConnections: 4,
    connectionTimeout: timeoutMilliseconds,
    greetingTimeout: timeoutMilliseconds,
    socketTimeout: timeoutMilliseconds,
  };
  const transporter = nodemailer.createTransport(options);
  return {
    async send(message) {
      await transporter.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
        attachments: message.attachments.map((attachment) => ({ ...attachment })),
      });
    },
    close: () => transporter.close(),
  };
}

export interface CaughtMail extends MailMessage {
  readonly at: Date;
}

/** The demo's mail catcher: keeps the last messages in memory for a page on the loopback address. */
export class MailCatcher implements MailTransport {
  readonly messages: CaughtMail[] = [];

  constructor(private readonly keep = 50) {}

  async send(message: MailMessage): Promise<void> {
    this.messages.unshift({ ...message, at: new Date() });
    this.messages.length = Math.min(this.messages.length, this.keep);
  }

  close(): void {}
}
