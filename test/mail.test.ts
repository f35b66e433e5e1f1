// Outgoing mail: the DATA_DIR/mail fallback writes well-formed RFC 5322 files, SMTP_URL
// hands messages to a relay, templates link to PUBLIC_URL, and queued mail is sent by the
// worker.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailer, extractLinks, mailDir } from "../src/mail/mailer.ts";
import { queueMail } from "../src/mail/send.ts";
import { confirmationMail, emailChangeMail, passwordResetMail } from "../src/mail/templates.ts";
import { readMails, waitForMail } from "./helpers/auth-flow.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const site = { title: "Test <Roost>", publicUrl: "https://roost.example" };

describe("mail templates", () => {
  it("link absolutely to PUBLIC_URL in both parts and escape the HTML", () => {
    const mail = confirmationMail(site, { to: "a@example.com", username: "alice", token: "t+k/=" });
    const link = "https://roost.example/auth/confirmation?confirmation_token=t%2Bk%2F%3D";
    expect(mail.to).toBe("a@example.com");
    expect(mail.subject).toContain("Confirm");
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toContain("Test &lt;Roost&gt;");
    expect(mail.html).not.toContain("<Roost>");

    const reset = passwordResetMail(site, { to: "a@example.com", username: "alice", token: "abc" });
    expect(extractLinks(reset.text)).toContain(
      "https://roost.example/auth/password/edit?reset_password_token=abc",
    );
    const change = emailChangeMail(site, { to: "new@example.com", username: "alice", token: "x" });
    expect(change.to).toBe("new@example.com");
    expect(change.text).toContain("/auth/confirmation?confirmation_token=x");
  });
});

describe("file mailer (no SMTP_URL)", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "roost-mail-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("writes one RFC 5322 .eml per message with text and HTML parts", async () => {
    const config = { dataDir, mailFrom: "Roost <notifications@roost.example>", smtpUrl: undefined };
    const mailer = createMailer(config);
    const message = passwordResetMail(site, {
      to: "bob@example.com",
      username: "bob",
      token: "a".repeat(60),
    });
    await mailer.send(message);
    await mailer.send({ ...message, to: "carol@example.com" });
    mailer.close();

    const names = readdirSync(mailDir(config));
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^\d+-[0-9a-f]+\.eml$/);
    const raw = readFileSync(path.join(mailDir(config), names.sort()[0]!), "utf8");
    const [head] = raw.split("\r\n\r\n");
    // CRLF line ends throughout, as RFC 5322 requires.
    expect(raw.replace(/\r\n/g, "")).not.toContain("\n");
    expect(head).toMatch(/^To: bob@example\.com$/m);
    expect(head).toMatch(/^From: Roost <notifications@roost\.example>$/m);
    expect(head).toMatch(/^Subject: Reset your password on Test <Roost>$/m);
    expect(head).toMatch(/^Date: .+$/m);
    expect(head).toMatch(/^Message-ID: <.+@.+>$/m);
    expect(head).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw).toContain("Content-Type: text/plain");
    expect(raw).toContain("Content-Type: text/html");
  });
});

/** The smallest SMTP server that accepts mail, for checking the SMTP_URL path. */
function fakeSmtp(): Promise<{ server: Server; port: number; messages: string[] }> {
  const messages: string[] = [];
  const server = createServer((socket) => {
    let buffer = "";
    let inData = false;
    socket.write("220 fake ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          messages.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          inData = false;
          socket.write("250 OK queued\r\n");
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") socket.write("250 fake\r\n");
        else if (verb === "DATA") {
          inData = true;
          socket.write("354 go ahead\r\n");
        } else if (verb === "QUIT") {
          socket.end("221 bye\r\n");
        } else socket.write("250 OK\r\n");
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === "object" && address ? address.port : 0,
        messages,
      });
    });
  });
}

describe("SMTP mailer (SMTP_URL set)", () => {
  it("hands the message to the relay", async () => {
    const smtp = await fakeSmtp();
    try {
      const mailer = createMailer({
        dataDir: "/nonexistent",
        mailFrom: "Roost <n@roost.example>",
        smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      });
      await mailer.send(
        confirmationMail(site, { to: "dora@example.com", username: "dora", token: "tok" }),
      );
      mailer.close();
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]).toMatch(/^To: dora@example\.com$/m);
      expect(smtp.messages[0]).toMatch(/^From: Roost <n@roost\.example>$/m);
      expect(smtp.messages[0]).toMatch(/^Subject: Confirm your email address for Test <Roost>$/m);
    } finally {
      smtp.server.close();
    }
  });
});

describe("queued mail", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ PUBLIC_URL: "https://social.example" }, { workers: true });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("is written by the worker", async () => {
    expect(readMails(ctx)).toHaveLength(0);
    await queueMail(
      ctx.services,
      confirmationMail(
        { title: "Roost", publicUrl: ctx.config.publicUrl },
        { to: "erin@example.com", username: "erin", token: "queued-token" },
      ),
    );
    const mail = await waitForMail(ctx, "erin@example.com");
    expect(mail.subject).toContain("Confirm your email address");
    expect(mail.links).toContain(
      "https://social.example/auth/confirmation?confirmation_token=queued-token",
    );
  });
});
