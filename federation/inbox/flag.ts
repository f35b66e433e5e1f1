// Flag: another server reports one of our accounts (and maybe some of its posts) to us.
// Stored as a report from the sending actor (usually that server's instance actor). Only
// local accounts and local posts count; anything else in `object` is ignored, as Mastodon
// does, and a Flag naming nothing of ours stores nothing.
import type { InboxContext } from "@fedify/fedify";
import type { Flag } from "@fedify/vocab";
import { federationPolicy } from "../../src/moderation/domain-policy.ts";
import { storeFlag } from "../../src/moderation/reports.ts";
import type { FederationContextData } from "../context.ts";
import { contentSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;

/** At most this many objects are looked at: a Flag is about one account and a few posts. */
const MAX_OBJECTS = 100;

export async function onFlag(ctx: Ctx, flag: Flag): Promise<void> {
  const sender = await contentSender(ctx, flag);
  if (!sender) return;
  // A domain blocked with reject_reports (or suspended) files nothing.
  if ((await federationPolicy(ctx.data, sender.domain)).rejectReports) return;
  const { db, config } = ctx.data;
  const origin = new URL(config.publicUrl).origin;
  const uris = flag.objectIds
    .slice(0, MAX_OBJECTS)
    .filter((u) => u.origin === origin)
    .map((u) => u.href);
  if (uris.length === 0) return;
  const [accounts, statuses] = await Promise.all([
    db
      .selectFrom("accounts")
      .select("id")
      .where("domain", "is", null)
      .where("suspended_at", "is", null)
      .where((eb) => eb.or([eb("uri", "in", uris), eb("url", "in", uris)]))
      .execute(),
    db
      .selectFrom("statuses")
      .innerJoin("accounts", "accounts.id", "statuses.account_id")
      .select(["statuses.id", "statuses.account_id"])
      .where("statuses.local", "=", true)
      .where("accounts.suspended_at", "is", null)
      .where((eb) => eb.or([eb("statuses.uri", "in", uris), eb("statuses.url", "in", uris)]))
      .execute(),
  ]);
  if (accounts.length === 0 && statuses.length === 0) return;
  // The Flag's id counts only if it is the sender's: another server's id could collide
  // with (and so suppress) a real report.
  const id = flag.id;
  const uri = id && id.origin === new URL(sender.uri).origin ? id.href : null;
  await storeFlag(ctx.data, {
    reporterId: sender.id,
    targetAccountIds: accounts.map((a) => a.id),
    statuses: statuses.map((s) => ({ id: s.id, accountId: s.account_id })),
    comment: flag.content?.toString() ?? "",
    uri,
  });
}
