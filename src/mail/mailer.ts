// Outgoing mail. With SMTP_URL set, messages go to that relay; without it (development,
// tests, small single-user setups) each message is written as an .eml file under
// DATA_DIR/mail and its links are logged, so an admin can still confirm an address.
import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import type { Config } from "../config.ts";
import { log } from "../infra/logging.ts";

const logger = log("mail");

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

type MailConfig = Pick<Config, "smtpUrl" | "mailFrom" | "dataDir">;

export function createMailer(config: MailConfig): Mailer {
  return config.smtpUrl ? smtpMailer(config.smtpUrl, config.mailFrom) : fileMailer(config);
}

function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close() {
      transport.close();
    },
  };
}

/** Where the file fallback writes; tests read captured messages from here. */
export function mailDir(config: Pick<Config, "dataDir">): string {
  return path.join(config.dataDir, "mail");
}

function fileMailer(config: MailConfig): Mailer {
  // nodemailer's stream transport composes the MIME message (headers, encodings,
  // multipart/alternative) without sending it.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const dir = mailDir(config);
  return {
    async send(message) {
      const info = await composer.sendMail({
        from: config.mailFrom,
        ...message,
        date: new Date(),
      });
      await mkdir(dir, { recursive: true });
      const name = `${Date.now()}-${randomBytes(6).toString("hex")}.eml`;
      const file = path.join(dir, name);
      // Written under a temporary name and renamed, so readers never see half a message.
      const tmp = `${file}.tmp`;
      // Line breaks inside the parts come through as written; RFC 5322 wants CRLF everywhere.
      const eml = (info.message as Buffer).toString("utf8").replace(/\r?\n/g, "\r\n");
      await writeFile(tmp, eml, { mode: 0o600 });
      await rename(tmp, file);
      logger.info("Mail to {to} ({subject}) written to {file}; links: {links}", {
        to: message.to,
        subject: message.subject,
        file,
        links: extractLinks(message.text).join(" "),
      });
    },
    close() {
      composer.close();
    },
  };
}

export function extractLinks(text: string): string[] {
  return [...new Set(text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
}

// One mailer per configuration object: the SMTP transport keeps a connection pool, and the
// worker processes many mails with the same Services.
const mailers = new WeakMap<MailConfig, Mailer>();

export function mailerFor(config: MailConfig): Mailer {
  let mailer = mailers.get(config);
  if (!mailer) {
    mailer = createMailer(config);
    mailers.set(config, mailer);
  }
  return mailer;
}
