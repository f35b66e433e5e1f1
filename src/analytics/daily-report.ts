// The daily report mailed to the owner and admins: yesterday's (UTC) sign-ups, active users,
// posts, interactions, reports and federation volume, and what waits for staff. Each worker
// asks for it every quarter hour; the job sends only from ADMIN_REPORT_HOUR on, and a row
// per day in admin_daily_reports makes sure one mail goes out however many workers ask.
import { sql } from "kysely";
import { log } from "../infra/logging.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import { queueMail } from "../mail/send.ts";
import type { Services } from "../services.ts";
import { escapeHtml } from "../text/render.ts";
import { computeMeasure } from "./measures.ts";
import type { Period } from "./period.ts";

const logger = log("analytics");
const DAY_MS = 24 * 60 * 60 * 1000;
export const REPORT_CHECK_EVERY_MS = 15 * 60 * 1000;

export interface DailyFigures {
  day: string;
  newUsers: number;
  activeUsers: number;
  localPosts: number;
  interactions: number;
  reportsOpened: number;
  remotePostsReceived: number;
  unresolvedReports: number;
  pendingApprovals: number;
}

async function count(services: Services, query: ReturnType<typeof sql<{ n: string }>>) {
  const result = await query.execute(services.db);
  return Number(result.rows[0]?.n ?? 0);
}

export async function dailyFigures(services: Services, day: string): Promise<DailyFigures> {
  const start = new Date(`${day}T00:00:00Z`);
  const period: Period = { start, end: new Date(start.getTime() + DAY_MS) };
  const measure = async (key: string) =>
    Number((await computeMeasure(services.db, key, period, {}))?.total ?? 0);
  const inDay = sql`created_at >= ${period.start} and created_at < ${period.end}`;
  return {
    day,
    newUsers: await measure("new_users"),
    activeUsers: await measure("active_users"),
    interactions: await measure("interactions"),
    reportsOpened: await measure("opened_reports"),
    localPosts: await count(
      services,
      sql`select count(*) as n from statuses where local and ${inDay}`,
    ),
    remotePostsReceived: await count(
      services,
      sql`select count(*) as n from statuses where not local and ${inDay}`,
    ),
    unresolvedReports: await count(
      services,
      sql`select count(*) as n from reports where action_taken_at is null`,
    ),
    pendingApprovals: await count(
      services,
      sql`select count(*) as n from users where not approved and not disabled`,
    ),
  };
}

function reportMail(title: string, publicUrl: string, f: DailyFigures) {
  const lines: [string, number][] = [
    ["New users", f.newUsers],
    ["Active users", f.activeUsers],
    ["Posts by local users", f.localPosts],
    ["Interactions with local posts", f.interactions],
    ["Posts received from other servers", f.remotePostsReceived],
    ["Reports opened", f.reportsOpened],
    ["Unresolved reports", f.unresolvedReports],
    ["Sign-ups waiting for approval", f.pendingApprovals],
  ];
  const subject = `${title}: daily report for ${f.day}`;
  const text = [
    `${title}, ${f.day} (UTC)`,
    "",
    ...lines.map(([label, n]) => `${label}: ${n}`),
    "",
    `${publicUrl}`,
  ].join("\n");
  const rows = lines
    .map(([label, n]) => `<tr><td>${escapeHtml(label)}</td><td>${n}</td></tr>`)
    .join("");
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body><h1>${escapeHtml(title)}, ${escapeHtml(f.day)} (UTC)</h1><table>${rows}</table>
<p><a href="${escapeHtml(publicUrl)}">${escapeHtml(publicUrl)}</a></p></body></html>`;
  return { subject, text, html };
}

/**
 * Sends yesterday's report if it is due and nobody sent it yet. Returns the day reported,
 * or undefined when nothing was sent.
 */
export async function sendDailyReport(
  services: Services,
  now: Date = new Date(),
): Promise<string | undefined> {
  const { config, db } = services;
  if (!config.adminReportEnabled || now.getUTCHours() < config.adminReportHour) return undefined;
  const day = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);
  const claimed = await db
    .insertInto("admin_daily_reports")
    .values({ day })
    .onConflict((oc) => oc.doNothing())
    .returning("day")
    .executeTakeFirst();
  if (!claimed) return undefined;
  const [figures, settings, admins] = await Promise.all([
    dailyFigures(services, day),
    getInstanceSettings(db, config),
    db
      .selectFrom("users")
      .select("email")
      .where("role", "in", ["owner", "admin"])
      .where("disabled", "=", false)
      .where("confirmed_at", "is not", null)
      .execute(),
  ]);
  const mail = reportMail(settings.title, config.publicUrl, figures);
  for (const { email } of admins) await queueMail(services, { to: email, ...mail });
  logger.info("Mailed the daily report for {day} to {count} admins", {
    day,
    count: admins.length,
  });
  return day;
}

/** Starts the quarter-hourly check in a worker; returns the function that stops it. */
export function scheduleDailyReport(
  services: Services,
  everyMs = REPORT_CHECK_EVERY_MS,
): () => void {
  if (!services.config.adminReportEnabled) return () => {};
  const timer = setInterval(() => {
    services.queues.jobs.enqueue({ type: "admin.daily_report" }).catch((error) => {
      logger.warning("Could not enqueue the daily report: {error}", { error });
    });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
