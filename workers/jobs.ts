// The `jobs` queue carries Roost's own side effects as typed messages `{ type, ... }`.
// Each type has one processor; features add theirs to the table.

import type { DomainEvents, EventHandler, EventName } from "../src/events/types.ts";
import { durationOf } from "../src/infra/temporal.ts";
import { type MailMessage, mailerFor } from "../src/mail/mailer.ts";
import { runMediaProcess, runMediaPrune } from "../src/media/jobs.ts";
import type { Services } from "../src/services.ts";
import { subscribers } from "./subscribers/index.ts";

export interface JobTypes {
  /** Does nothing; used by health checks and tests to see the queue move. */
  noop: { marker?: string };
  /** One outgoing mail (confirmation, password reset...); see src/mail/send.ts. */
  "mail.send": MailMessage;
  /** One domain event for one subscriber; see src/events. */
  event: { subscriber: string; name: EventName; payload: DomainEvents[EventName] };
  /** One notification to one Web Push subscription; see src/push/deliver.ts. */
  "push.deliver": { subscriptionId: string; notificationId: string };
  /** One batched notification email to one account; see src/notifications/email-batch.ts. */
  "notifications.email": { accountId: string };
  /** Processes a queued upload (POST /api/v2/media); see src/media/jobs.ts. */
  "media.process": { mediaId: string };
  /** Mails yesterday's report to admins once it's due; see src/analytics/daily-report.ts. */
  "admin.daily_report": Record<string, never>;
  /** Removes day-old unattached uploads (hourly, per worker); see src/media/jobs.ts. */
  "media.prune": Record<string, never>;
  /** Fetches a copy of one remote attachment (REMOTE_MEDIA_CACHE); see src/media/remote-cache.ts. */
  "media.cache_remote": { mediaId: string };
  /** Fetches a copy of a remote avatar or header (REMOTE_MEDIA_CACHE); see src/media/remote-cache.ts. */
  "media.cache_profile_image": { accountId: string; kind: "avatar" | "header"; url: string };
  /** Publishes a scheduled status at its time (a delayed job); see src/scheduled/publish.ts. */
  "scheduled.publish": { scheduledStatusId: string };
  /** Sends a local poll's new totals after votes (debounced); see src/polls/jobs.ts. */
  "poll.distribute": { pollId: string };
  /** Notifies a poll's local author and voters at its end; see src/polls/jobs.ts. */
  "poll.expire": { pollId: string };
  /** Pins the posts of a new remote account's featured collection; see federation/featured-fetch.ts. */
  "federation.fetch_featured": { accountId: string };
}

export type Job = { [K in keyof JobTypes]: { type: K } & JobTypes[K] }[keyof JobTypes];

type Processor<K extends keyof JobTypes> = (
  services: Services,
  job: { type: K } & JobTypes[K],
) => Promise<void>;

const processors: { [K in keyof JobTypes]: Processor<K> } = {
  noop: async () => {},
  "mail.send": async (services, { to, subject, text, html }) => {
    await mailerFor(services.config).send({ to, subject, text, html });
  },
  "media.process": (services, { mediaId }) => runMediaProcess(services, mediaId),
  "media.prune": (services) => runMediaPrune(services),
  "media.cache_remote": async (services, { mediaId }) =>
    (await import("../src/media/remote-cache.ts")).cacheRemoteAttachment(services, mediaId),
  "media.cache_profile_image": async (services, job) =>
    (await import("../src/media/remote-cache.ts")).cacheRemoteProfileImage(services, job),
  "admin.daily_report": async (services) => {
    await (await import("../src/analytics/daily-report.ts")).sendDailyReport(services);
  },
  // Loaded on first use: these modules enqueue jobs, so they import this file.
  "push.deliver": async (services, { subscriptionId, notificationId }) =>
    (await import("../src/push/deliver.ts")).deliverPush(services, {
      subscriptionId,
      notificationId,
    }),
  "notifications.email": async (services, { accountId }) =>
    (await import("../src/notifications/email-batch.ts")).sendNotificationEmail(
      services,
      accountId,
    ),
  "poll.distribute": async (services, { pollId }) =>
    (await import("../src/polls/jobs.ts")).runPollDistribution(services, pollId),
  "poll.expire": async (services, { pollId }) =>
    (await import("../src/polls/jobs.ts")).runPollExpiry(services, pollId),
  "federation.fetch_featured": async (services, { accountId }) =>
    (await import("../federation/featured-fetch.ts")).fetchFeaturedCollection(services, accountId),
  "scheduled.publish": async (services, { scheduledStatusId }) =>
    (await import("../src/scheduled/publish.ts")).publishScheduledStatus(
      services,
      scheduledStatusId,
    ),
  event: async (services, { subscriber, name, payload }) => {
    const handler = subscribers[subscriber]?.[name] as EventHandler<EventName> | undefined;
    await handler?.(services, payload);
  },
};

export async function processJob(services: Services, message: unknown): Promise<void> {
  const job = message as Job;
  const processor = processors[job?.type] as Processor<typeof job.type> | undefined;
  // An unknown type cannot succeed on retry; drop it rather than poison the queue.
  if (!processor) return;
  await processor(services, job);
}

/** Enqueues a job. Call after the transaction that caused it has committed. */
export function enqueueJob(services: Services, job: Job, delayMs?: number): Promise<void> {
  return services.queues.jobs.enqueue(job, delayMs ? { delay: durationOf(delayMs) } : undefined);
}
