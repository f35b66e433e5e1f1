// Grouped notifications (v2). A page is built the way Mastodon builds one: walk the
// viewer's notifications from the cursor, newest first (oldest first for min_id), and
// take every notification until a group beyond `limit` would start. The page's groups
// then cover exactly the notifications in that window, so the Link cursors (the window's
// first and last ids) never skip or repeat one; a group continuing past the window shows
// up again on the next page, which clients merge by group_key.
import type { AccountEntity } from "../accounts/serializers.ts";
import type { AccountRow } from "../auth/middleware.ts";
import type { PageParams } from "../http/pagination.ts";
import type { NotificationType } from "../infra/db/schema.ts";
import { compareIds } from "../infra/ids.ts";
import type { ReportEntity } from "../moderation/reports-serializer.ts";
import type { Services } from "../services.ts";
import type { MastodonStatus } from "../statuses/serializer.ts";
import { domainBlockedBy } from "../statuses/visibility.ts";
import { applyPage } from "../timelines/paging.ts";
import { GROUPABLE_TYPES } from "./create.ts";
import { type NotificationFilter, notificationsQuery } from "./queries.ts";
import { loadReferences, type NotificationRow } from "./serializer.ts";
import { loadNotificationReports, reportIdOf } from "./staff.ts";

/** Accounts shown per group, as Mastodon's sample. */
const SAMPLE_ACCOUNTS = 8;
/** How many notifications one page may walk, whatever the limit. */
const MAX_SCAN = 2000;

export interface NotificationGroupEntity {
  group_key: string;
  notifications_count: number;
  type: NotificationType;
  /** A number on the wire (Mastodon's iOS app decodes an Int); see renderGroupedJson. */
  most_recent_notification_id: string;
  page_min_id: string;
  page_max_id: string;
  latest_page_notification_at: string;
  sample_account_ids: string[];
  status_id?: string | null;
  /** For `admin.report` (never grouped): the report. */
  report?: ReportEntity | null;
}

export interface PartialAccountEntity {
  id: string;
  acct: string;
  url: string;
  avatar: string;
  avatar_static: string;
  locked: boolean;
  bot: boolean;
}

export interface GroupedResults {
  accounts: AccountEntity[];
  partial_accounts?: PartialAccountEntity[];
  statuses: MastodonStatus[];
  notification_groups: NotificationGroupEntity[];
}

export interface GroupedPage {
  body: GroupedResults;
  newest?: string;
  oldest?: string;
}

/** A notification's key in this request: ungrouped unless its type is in `groupedTypes`. */
function keyOf(row: NotificationRow, groupedTypes: readonly string[]): string {
  return row.group_key && groupedTypes.includes(row.type) ? row.group_key : `ungrouped-${row.id}`;
}

export function parseGroupedTypes(value: string[] | undefined): string[] {
  if (!value || value.length === 0) return [...GROUPABLE_TYPES];
  return value.filter((t) => GROUPABLE_TYPES.includes(t as NotificationType));
}

export async function listGroups(
  services: Services,
  viewer: AccountRow,
  filter: NotificationFilter,
  groupedTypes: string[],
  page: PageParams,
  expandAccounts: "full" | "partial_avatars",
): Promise<GroupedPage> {
  const { db } = services;
  const scanLimit = Math.min(MAX_SCAN, page.limit * 50);
  const { query } = applyPage(notificationsQuery(db, viewer, filter), "notifications.id", {
    ...page,
    limit: scanLimit,
  });
  const scanned = await query.execute();

  // The window: every notification up to the first one of the (limit + 1)th group.
  const groups = new Map<string, NotificationRow[]>();
  const window: NotificationRow[] = [];
  for (const row of scanned) {
    const key = keyOf(row, groupedTypes);
    let members = groups.get(key);
    if (!members) {
      if (groups.size === page.limit) break;
      members = [];
      groups.set(key, members);
    }
    members.push(row);
    window.push(row);
  }
  if (window.length === 0) return { body: emptyResults(expandAccounts) };

  const grouped = await groupEntities(services, viewer, [...groups.entries()]);
  const body = await withReferences(services, viewer, grouped, expandAccounts);
  const ids = window.map((r) => r.id).sort(compareIds);
  return { body, newest: ids.at(-1), oldest: ids[0] };
}

/** One group by key, with the notifications the viewer may see; undefined when none. */
export async function findGroup(
  services: Services,
  viewer: AccountRow,
  groupKey: string,
): Promise<GroupedResults | undefined> {
  const rows = await groupRows(services, viewer, groupKey);
  if (rows.length === 0) return undefined;
  const grouped = await groupEntities(services, viewer, [[groupKey, rows]]);
  return withReferences(services, viewer, grouped, "full");
}

/** The rows of one group, newest first: an `ungrouped-<id>` key is that one notification. */
export async function groupRows(
  services: Services,
  viewer: AccountRow,
  groupKey: string,
): Promise<NotificationRow[]> {
  let query = notificationsQuery(services.db, viewer, { excludeTypes: [] });
  const single = groupKey.match(/^ungrouped-(\d{1,20})$/);
  query = single
    ? query.where("notifications.id", "=", single[1]!)
    : query.where("notifications.group_key", "=", groupKey);
  return query.orderBy("notifications.id", "desc").limit(MAX_SCAN).execute();
}

/** Deletes a group's notifications. */
export async function dismissGroup(
  services: Services,
  viewer: AccountRow,
  groupKey: string,
): Promise<void> {
  const single = groupKey.match(/^ungrouped-(\d{1,20})$/);
  let query = services.db.deleteFrom("notifications").where("account_id", "=", viewer.id);
  query = single ? query.where("id", "=", single[1]!) : query.where("group_key", "=", groupKey);
  await query.execute();
}

/** Builds group entities; counts and samples cover the whole group, not just the page. */
async function groupEntities(
  services: Services,
  viewer: AccountRow,
  entries: [string, NotificationRow[]][],
): Promise<NotificationGroupEntity[]> {
  const realKeys = entries.map(([k]) => k).filter((k) => !k.startsWith("ungrouped-"));
  const totals = new Map<string, { count: number; latest: string; accounts: string[] }>();
  if (realKeys.length) {
    // Per group and account, the latest notification: enough for counts and samples.
    const rows = await services.db
      .selectFrom("notifications")
      .select((eb) => [
        "group_key",
        "from_account_id",
        eb.fn.max("id").as("latest"),
        eb.fn.countAll<string>().as("count"),
      ])
      .where("account_id", "=", viewer.id)
      .where("group_key", "in", realKeys)
      // As notificationsQuery: not held by the policy, not from a domain the viewer blocked.
      .where("filtered", "=", false)
      .where((eb) => eb.not(domainBlockedBy(viewer.id, "notifications.from_account_id")))
      .groupBy(["group_key", "from_account_id"])
      .execute();
    rows.sort((a, b) => compareDesc(String(a.latest), String(b.latest)));
    for (const r of rows) {
      const key = r.group_key!;
      const t = totals.get(key) ?? { count: 0, latest: "0", accounts: [] };
      t.count += Number(r.count);
      if (compareDesc(String(r.latest), t.latest) < 0) t.latest = String(r.latest);
      if (t.accounts.length < SAMPLE_ACCOUNTS) t.accounts.push(r.from_account_id);
      totals.set(key, t);
    }
  }
  const reports = await loadNotificationReports(
    services,
    entries.flatMap(([, members]) => reportIdOf(members[0]!) ?? []),
  );
  const out = entries.map(([key, members]): NotificationGroupEntity => {
    const newest = members[0]!;
    const oldest = members.at(-1)!;
    const [pageMax, pageMin] =
      compareDesc(newest.id, oldest.id) <= 0 ? [newest, oldest] : [oldest, newest];
    const total = totals.get(key);
    const sample =
      total?.accounts ??
      [...new Set(members.map((m) => m.from_account_id))].slice(0, SAMPLE_ACCOUNTS);
    const group: NotificationGroupEntity = {
      group_key: key,
      notifications_count: total?.count ?? members.length,
      type: newest.type,
      most_recent_notification_id: total?.latest ?? pageMax.id,
      page_min_id: pageMin.id,
      page_max_id: pageMax.id,
      latest_page_notification_at: new Date(pageMax.created_at).toISOString(),
      sample_account_ids: sample,
    };
    if (newest.status_id) group.status_id = newest.status_id;
    const report = reports.get(reportIdOf(newest) ?? "");
    if (report) group.report = report;
    return group;
  });
  // Newest group first.
  return out.sort((a, b) => compareDesc(a.page_max_id, b.page_max_id));
}

async function withReferences(
  services: Services,
  viewer: AccountRow,
  groups: NotificationGroupEntity[],
  expandAccounts: "full" | "partial_avatars",
): Promise<GroupedResults> {
  const { accounts, statuses } = await loadReferences(
    services,
    viewer,
    groups.flatMap((g) => g.sample_account_ids),
    groups.flatMap((g) => (g.status_id ? [g.status_id] : [])),
  );
  // A group whose status went out of sight is dropped, as v1 drops the notification.
  // So is an `admin.report` group whose report is gone.
  const visible = groups.filter(
    (g) => (!g.status_id || statuses.has(g.status_id)) && (g.type !== "admin.report" || g.report),
  );
  const body: GroupedResults = {
    accounts: [],
    statuses: [...new Set(visible.flatMap((g) => (g.status_id ? [g.status_id] : [])))].map(
      (id) => statuses.get(id)!,
    ),
    notification_groups: visible,
  };
  const full = new Set<string>();
  const partial = new Set<string>();
  for (const g of visible) {
    g.sample_account_ids.forEach((id, i) => {
      // With partial avatars, only each group's most recent account comes in full.
      if (expandAccounts === "full" || i === 0) full.add(id);
      else partial.add(id);
    });
  }
  body.accounts = [...full].flatMap((id) => accounts.get(id) ?? []);
  if (expandAccounts === "partial_avatars") {
    body.partial_accounts = [...partial]
      .filter((id) => !full.has(id))
      .flatMap((id) => {
        const a = accounts.get(id);
        return a
          ? [
              {
                id: a.id,
                acct: a.acct,
                url: a.url,
                avatar: a.avatar,
                avatar_static: a.avatar_static,
                locked: a.locked,
                bot: a.bot,
              },
            ]
          : [];
      });
  }
  return body;
}

function emptyResults(expandAccounts: "full" | "partial_avatars"): GroupedResults {
  const body: GroupedResults = { accounts: [], statuses: [], notification_groups: [] };
  if (expandAccounts === "partial_avatars") body.partial_accounts = [];
  return body;
}

/** Negative when `a` is the newer (larger) id. */
function compareDesc(a: string, b: string): number {
  return b.length - a.length || (a < b ? 1 : a > b ? -1 : 0);
}

/**
 * JSON for a grouped response. `most_recent_notification_id` is a JSON number in Mastodon,
 * and ids exceed what a JS number holds exactly, so the digits are spliced into the text.
 */
export function renderGroupedJson(value: unknown): string {
  return JSON.stringify(value, (key, v) =>
    key === "most_recent_notification_id" && typeof v === "string" ? `\u0000int:${v}` : v,
  ).replace(/"\\u0000int:(\d+)"/g, "$1");
}
