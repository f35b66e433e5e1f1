// Activities about a local actor itself or sent by the instance: profile Update,
// a forwarded report (Flag), and the Delete of a suspended or deleted actor.
import { Delete, Flag, Update } from "@fedify/vocab";
import { sql } from "kysely";
import type { Services } from "../../src/services.ts";
import { personOf } from "../actors.ts";
import { federationContext } from "../index.ts";
import { accountKeyPairs } from "../keys.ts";
import { INSTANCE_ACTOR, recipientOf } from "../util.ts";
import { accountsById, deliver } from "./recipients.ts";

export async function sendProfileUpdate(services: Services, accountId: string): Promise<void> {
  const [account] = (await accountsById(services, [accountId])).values();
  if (!account || account.domain !== null || account.suspended_at) return;
  const ctx = federationContext(services);
  const person = await personOf(ctx, account);
  const actor = ctx.getActorUri(account.username);
  const update = new Update({
    id: new URL(`${actor.href}#updates/${Date.now()}`),
    actor,
    object: person,
    to: new URL("https://www.w3.org/ns/activitystreams#Public"),
    cc: ctx.getFollowersUri(account.username),
  });
  await deliver(ctx, account, update, { followers: true, direct: [] });
}

/**
 * Forwards a report to other servers as a Flag from the instance actor (which hides the
 * reporter, as Mastodon does): to the reported account's server and to `domains`' accounts
 * the reported posts replied to.
 */
export async function sendReportFlag(
  services: Services,
  reportId: string,
  domains: string[],
): Promise<void> {
  const report = await services.db
    .selectFrom("reports")
    .selectAll()
    .where("id", "=", reportId)
    .executeTakeFirst();
  if (!report?.uri) return;
  const [target] = (await accountsById(services, [report.target_account_id])).values();
  if (!target || target.domain === null) return;
  const statuses =
    report.status_ids.length > 0
      ? await services.db
          .selectFrom("statuses")
          .select(["uri", "in_reply_to_account_id"])
          .where("id", "in", report.status_ids)
          .execute()
      : [];
  const others = await accountsById(
    services,
    statuses.flatMap((s) => (s.in_reply_to_account_id ? [s.in_reply_to_account_id] : [])),
  );
  const wanted = new Set(domains.map((d) => d.toLowerCase()));
  const recipients = [target, ...others.values()].filter(
    (a) => a.domain !== null && a.inbox_url && wanted.has(a.domain.toLowerCase()),
  );
  if (recipients.length === 0) return;
  const ctx = federationContext(services);
  const flag = new Flag({
    id: new URL(report.uri),
    actor: ctx.getActorUri(INSTANCE_ACTOR),
    content: report.comment,
    objects: [new URL(target.uri), ...statuses.map((s) => new URL(s.uri))],
  });
  await ctx.sendActivity({ identifier: INSTANCE_ACTOR }, recipients.map(recipientOf), flag, {
    preferSharedInbox: true,
  });
}

/**
 * Tells every server we know of that a local actor is gone (suspension or deletion), so
 * they delete its content. Signed with the account's stored keys: a suspended account has
 * no key through the actor dispatcher. The keys travel inside the queued deliveries, so the
 * account may be deleted right after this returns.
 */
export async function sendActorDeletion(services: Services, accountId: string): Promise<void> {
  const [account] = (await accountsById(services, [accountId])).values();
  if (!account || account.domain !== null) return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(account.username);
  const pairs = await accountKeyPairs(services.db, account.id);
  const keys = pairs.map((pair, i) => ({
    privateKey: pair.privateKey,
    keyId: new URL(i === 0 ? "#main-key" : `#key-${i + 1}`, actor),
  }));
  if (keys.length === 0) return;
  // One recipient per inbox (shared where there is one): followers and every other
  // remote account we have met, as Mastodon reaches everyone that may hold a copy.
  const inboxes = await services.db
    .selectFrom("accounts")
    .select(["uri", "inbox_url", "shared_inbox_url"])
    .distinctOn(sql`coalesce(shared_inbox_url, inbox_url)`)
    .where("domain", "is not", null)
    .where("inbox_url", "is not", null)
    .where("suspended_at", "is", null)
    .execute();
  if (inboxes.length === 0) return;
  const del = new Delete({
    id: new URL(`${actor.href}#delete`),
    actor,
    to: new URL("https://www.w3.org/ns/activitystreams#Public"),
    object: actor,
  });
  await ctx.sendActivity(keys, inboxes.map(recipientOf), del, {
    preferSharedInbox: true,
    excludeBaseUris: [new URL(ctx.data.config.publicUrl)],
  });
}
