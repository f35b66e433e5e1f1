// Collections of local actors: followers (also what sendActivity(..., "followers")
// expands), following, the public outbox and the featured (pinned) posts; and the object
// dispatcher for each local Note. Pages are keyed by row id, newest first.
import { type Activity, Announce, Note, type Question, type Recipient } from "@fedify/vocab";
import { canView } from "../src/statuses/visibility.ts";
import type { FederationContextData, RoostFederation } from "./context.ts";
import { activityWithMedia } from "./objects/media-extensions.ts";
import { type StatusRow, statusToNote } from "./objects/note.ts";
import { findLocalAccount, INSTANCE_ACTOR, toInstant } from "./util.ts";

const PAGE_SIZE = 50;
const OUTBOX_PAGE_SIZE = 20;

type Ctx = import("@fedify/fedify").Context<FederationContextData>;

export function registerCollections(federation: RoostFederation): void {
  federation
    .setFollowersDispatcher(
      "/users/{identifier}/followers",
      async (ctx, identifier, cursor, base) => {
        const account = await findLocalAccount(ctx.data.db, identifier);
        if (!account) return null;
        // A null cursor is Fedify asking for everyone at once (delivery to "followers"): a
        // page there would be taken as the whole list and the rest would never hear. HTTP
        // readers get pages, starting from the cursor "" (setFirstCursor).
        const all = cursor === null;
        let query = ctx.data.db
          .selectFrom("follows")
          .innerJoin("accounts", "accounts.id", "follows.account_id")
          .select([
            "follows.id as follow_id",
            "accounts.uri",
            "accounts.inbox_url",
            "accounts.shared_inbox_url",
          ])
          .where("follows.target_account_id", "=", account.id)
          .where("accounts.suspended_at", "is", null)
          .orderBy("follows.id", "desc");
        if (!all) query = query.limit(PAGE_SIZE + 1);
        if (cursor) query = query.where("follows.id", "<", cursor);
        // FEP-8fcf: a partial collection holds only the followers on one server.
        if (base) query = query.where("accounts.uri", "like", `${base.origin}/%`);
        const rows = await query.execute();
        const page = all ? rows : rows.slice(0, PAGE_SIZE);
        const items: Recipient[] = page.map((r) => ({
          id: new URL(r.uri),
          inboxId: r.inbox_url ? new URL(r.inbox_url) : null,
          endpoints: r.shared_inbox_url ? { sharedInbox: new URL(r.shared_inbox_url) } : null,
        }));
        return {
          items,
          nextCursor: !all && rows.length > PAGE_SIZE ? page[page.length - 1]!.follow_id : null,
        };
      },
    )
    .setFirstCursor(() => "")
    .setCounter(async (ctx, identifier) => {
      const account = await findLocalAccount(ctx.data.db, identifier);
      return account ? account.followers_count : null;
    });

  federation
    .setFollowingDispatcher("/users/{identifier}/following", async (ctx, identifier, cursor) => {
      const account = await findLocalAccount(ctx.data.db, identifier);
      if (!account) return null;
      let query = ctx.data.db
        .selectFrom("follows")
        .innerJoin("accounts", "accounts.id", "follows.target_account_id")
        .select(["follows.id as follow_id", "accounts.uri"])
        .where("follows.account_id", "=", account.id)
        .orderBy("follows.id", "desc")
        .limit(PAGE_SIZE + 1);
      if (cursor) query = query.where("follows.id", "<", cursor);
      const rows = await query.execute();
      const page = rows.slice(0, PAGE_SIZE);
      return {
        items: page.map((r) => new URL(r.uri)),
        nextCursor: rows.length > PAGE_SIZE ? page[page.length - 1]!.follow_id : null,
      };
    })
    .setFirstCursor(() => "")
    .setCounter(async (ctx, identifier) => {
      const account = await findLocalAccount(ctx.data.db, identifier);
      return account ? account.following_count : null;
    });

  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", async (ctx, identifier, cursor) => {
      if (identifier === INSTANCE_ACTOR) return { items: [] };
      const account = await findLocalAccount(ctx.data.db, identifier);
      if (!account) return null;
      let query = ctx.data.db
        .selectFrom("statuses")
        .selectAll()
        .where("account_id", "=", account.id)
        .where("visibility", "in", ["public", "unlisted"])
        .orderBy("id", "desc")
        .limit(OUTBOX_PAGE_SIZE + 1);
      if (cursor) query = query.where("id", "<", cursor);
      const rows = await query.execute();
      const page = rows.slice(0, OUTBOX_PAGE_SIZE);
      const items: Activity[] = [];
      for (const status of page) items.push(await statusActivity(ctx, status));
      return {
        items,
        nextCursor: rows.length > OUTBOX_PAGE_SIZE ? page[page.length - 1]!.id : null,
      };
    })
    .setFirstCursor(() => "")
    .setCounter(async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return 0;
      const account = await findLocalAccount(ctx.data.db, identifier);
      if (!account) return null;
      const row = await ctx.data.db
        .selectFrom("statuses")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("account_id", "=", account.id)
        .where("visibility", "in", ["public", "unlisted"])
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });

  federation.setFeaturedDispatcher(
    "/users/{identifier}/collections/featured",
    async (ctx, identifier) => {
      const account = await findLocalAccount(ctx.data.db, identifier);
      if (!account) return null;
      const rows = await ctx.data.db
        .selectFrom("status_pins")
        .innerJoin("statuses", "statuses.id", "status_pins.status_id")
        .selectAll("statuses")
        .where("status_pins.account_id", "=", account.id)
        .where("statuses.visibility", "in", ["public", "unlisted"])
        .orderBy("status_pins.id", "desc")
        .execute();
      const items: (Note | Question)[] = [];
      for (const status of rows) items.push(await statusToNote(ctx, ctx.data, status));
      return { items };
    },
  );

  federation
    .setObjectDispatcher(Note, "/users/{username}/statuses/{id}", async (ctx, values) => {
      const status = await localStatus(ctx, values.username, values.id);
      // Registered as Note; a post with a poll is served (same path) as a Question. Fedify
      // serializes whatever object the dispatcher returns.
      return status ? ((await statusToNote(ctx, ctx.data, status)) as Note) : null;
    })
    // Followers-only and direct posts go only to signed requests from actors who may see
    // them (authorized fetch); everyone else gets the same answer as for a missing post.
    .authorize(async (ctx, values) => {
      const status = await localStatus(ctx, values.username, values.id);
      if (!status) return true;
      if (status.visibility === "public" || status.visibility === "unlisted") return true;
      const owner = await ctx.getSignedKeyOwner();
      if (!owner?.id) return false;
      const viewer = await ctx.data.db
        .selectFrom("accounts")
        .select("id")
        .where("uri", "=", owner.id.href)
        .executeTakeFirst();
      return viewer ? await canView(ctx.data.db, viewer.id, status.id) : false;
    });
}

async function localStatus(ctx: Ctx, username: string, id: string): Promise<StatusRow | null> {
  if (!/^\d{1,20}$/.test(id)) return null;
  const row = await ctx.data.db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .where("statuses.id", "=", id)
    .where("statuses.local", "=", true)
    .where("statuses.reblog_of_id", "is", null)
    .where("accounts.username", "=", username)
    .where("accounts.domain", "is", null)
    .where("accounts.suspended_at", "is", null)
    .executeTakeFirst();
  return row ?? null;
}

/** A status as the activity that published it: Create(Note), or Announce for a boost. */
export async function statusActivity(ctx: Ctx, status: StatusRow): Promise<Activity> {
  const actor = await ctx.data.db
    .selectFrom("accounts")
    .select(["uri", "username"])
    .where("id", "=", status.account_id)
    .executeTakeFirstOrThrow();
  if (status.reblog_of_id) return await announceOf(ctx, status, actor);
  const note = await statusToNote(ctx, ctx.data, status);
  return activityWithMedia("create", {
    id: new URL(`${status.uri}/activity`),
    actor: new URL(actor.uri),
    tos: note.toIds,
    ccs: note.ccIds,
    published: toInstant(status.created_at),
    object: note,
  });
}

export async function announceOf(
  ctx: Ctx,
  status: StatusRow,
  actor: { uri: string; username: string },
): Promise<Announce> {
  const original = await ctx.data.db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .select(["statuses.uri", "accounts.uri as author_uri"])
    .where("statuses.id", "=", status.reblog_of_id!)
    .executeTakeFirstOrThrow();
  const followers = ctx.getFollowersUri(actor.username);
  const publicUri = new URL("https://www.w3.org/ns/activitystreams#Public");
  const visible = status.visibility === "public" || status.visibility === "unlisted";
  return new Announce({
    id: new URL(status.uri),
    actor: new URL(actor.uri),
    object: new URL(original.uri),
    published: toInstant(status.created_at),
    tos: status.visibility === "unlisted" ? [followers] : visible ? [publicUri] : [followers],
    ccs: [new URL(original.author_uri), ...(status.visibility === "public" ? [followers] : [])],
  });
}
