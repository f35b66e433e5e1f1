// Mail leaves through the worker, so a slow or failing SMTP relay never holds up a request
// and failed sends are retried by the queue.

import { enqueueJob } from "../../workers/jobs.ts";
import type { Services } from "../services.ts";
import type { MailMessage } from "./mailer.ts";

/** Queues one message. Call after the write that the message refers to has committed. */
export function queueMail(services: Services, message: MailMessage): Promise<void> {
  const { to, subject, text, html } = message;
  return enqueueJob(services, { type: "mail.send", to, subject, text, html });
}
