// Remote posts as status rows. One entry point, upsertRemoteStatus, used by Create, by
// Announce (the boosted post) and for reply parents; it decides whether an object may be
// trusted, stores it once (the uri is unique), and emits status.created after the commit.
import type { Context } from "@fedify/fedify";
import { type Object as APObject, isActor, Question } from "@fedify/vocab";
import type { Selectable, Transaction } from "kysely";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { emitEvent } from "../../src/events/emit.ts";
import type { Database, StatusesTable } from "../../src/infra/db/schema.ts";
import { newId } from "../../src/infra/ids.ts";
import { log } from "../../src/infra/logging.ts";
import { upsertRemotePoll } from "../../src/polls/remote.ts";
import type { Services } from "../../src/services.ts";
import { findOrCreateTags } from "../../src/tags/tags.ts";
import type { FederationContextData } from "../context.ts";
import { accountOfActor } from "../remote-accounts.ts";
import {
  type Audience,
  isStatusObject,
  type RemoteStatusFields,
  readStatusFields,
  type StatusObject,
} from "./remote-content.ts";
import { writeRemoteAttachments } from "./remote-media-rows.ts";

export type StatusRow = Selectable<StatusesTable>;
type Ctx = Context<FederationContextData>;
type Trx = Transaction<Database>;

/** How many ancestors of a reply are fetched; the rest stay links (in_reply_to_uri). */
export const MAX_FETCH_DEPTH = 5;
const MAX_MENTIONS = 50;
const logger = log("federation");

export async function findStatusByUri(
  services: Services,
  uri: string,
): Promise<StatusRow | undefined> {
  return await services.db
    .selectFrom("statuses")
    .selectAll()
    .where("uri", "=", uri)
    .executeTakeFirst();
}

/** Whether a URL is ours (local objects are never created from remote documents). */
export function isLocalUri(services: Services, url: URL): boolean {
  return url.origin === new URL(services.config.publicUrl).origin;
}

/**
 * Fetches an object by its id. The document must name itself with exactly that id: a
 * document served at another URL of the same host (an uploaded file, say) is re-fetched
 * from the id it claims, and refused unless that answers with the same id. Fedify itself
 * refuses documents whose id is on another origin than the URL they came from.
 */
export async function fetchRemoteObject(ctx: Ctx, url: URL): Promise<APObject | null> {
  const load = async (u: URL) => {
    try {
      return await ctx.lookupObject(u.href, { crossOrigin: "ignore" });
    } catch (error) {
      logger.debug("Fetching {url} failed: {error}", { url: u.href, error });
      return null;
    }
  };
  const first = await load(url);
  if (!first?.id) return null;
  if (first.id.href === url.href) return first;
  if (first.id.origin !== url.origin) return null;
  const second = await load(first.id);
  return second?.id?.href === first.id.href ? second : null;
}

/**
 * The attribution to trust: the author given (the activity's signed actor) must be one of
 * the object's attributions; otherwise the first attribution on the object's own origin.
 * An object attributed only to actors of other origins is a forgery (someone else's words
 * served from a host that isn't theirs).
 */
export function trustedAuthorId(object: StatusObject, expectedAuthor?: URL): URL | null {
  if (!object.id) return null;
  const ids = object.attributionIds;
  if (expectedAuthor) {
    if (expectedAuthor.origin !== object.id.origin) return null;
    return ids.some((u) => u.href === expectedAuthor.href) ? expectedAuthor : null;
  }
  return ids.find((u) => u.origin === object.id?.origin) ?? null;
}

export interface UpsertRemoteStatusOptions {
  /** How many parents up the reply chain this call already is (0 for the received post). */
  fetchDepth?: number;
  /** The author's account when the caller has it (the activity's verified actor). */
  author?: AccountRow;
  /** The activity's to/cc, for objects that carry none of their own. */
  audience?: Audience;
}

/**
 * The status row for a remote post object: the stored one when the uri is known, else
 * created (with its mentions, hashtags and counters). Undefined when the object is not a
 * post, is forged or refused, or its author can't be resolved.
 */
export async function upsertRemoteStatus(
  ctx: Ctx,
  services: Services,
  object: APObject,
  options: UpsertRemoteStatusOptions = {},
): Promise<StatusRow | undefined> {
  if (!object.id || !isStatusObject(object)) return undefined;
  const known = await findStatusByUri(services, object.id.href);
  if (known) return known;
  if (isLocalUri(services, object.id)) return undefined;
  const authorId = trustedAuthorId(
    object,
    options.author ? new URL(options.author.uri) : undefined,
  );
  if (!authorId) {
    logger.info("Refused {id}: attributedTo does not match its origin or sender", {
      id: object.id.href,
    });
    return undefined;
  }
  const author =
    options.author ??
    (await accountOfActor(services, authorId, async () => {
      const actor = await fetchRemoteObject(ctx, authorId);
      return actor && isActor(actor) ? actor : null;
    }));
  if (!author || author.domain === null || author.suspended_at) return undefined;
  const fields = await readStatusFields(object, author, options.audience);
  if (!fields) {
    logger.info("Refused {id}: content over the size limit", { id: object.id.href });
    return undefined;
  }
  const parent = await resolveParent(ctx, services, fields.inReplyTo, options.fetchDepth ?? 0);
  const created = await insertStatus(services, object.id.href, author, fields, parent);
  if (created.inserted && object instanceof Question) {
    await upsertRemotePoll(services, created.row, object);
  }
  if (created.inserted) await emitEvent(services, "status.created", { statusId: created.row.id });
  return created.row;
}

async function resolveParent(
  ctx: Ctx,
  services: Services,
  inReplyTo: URL | null,
  depth: number,
): Promise<StatusRow | undefined> {
  if (!inReplyTo) return undefined;
  const known = await findStatusByUri(services, inReplyTo.href);
  if (known || depth >= MAX_FETCH_DEPTH || isLocalUri(services, inReplyTo)) return known;
  const object = await fetchRemoteObject(ctx, inReplyTo);
  if (!object) return undefined;
  return await upsertRemoteStatus(ctx, services, object, { fetchDepth: depth + 1 });
}

async function insertStatus(
  services: Services,
  uri: string,
  author: AccountRow,
  fields: RemoteStatusFields,
  parent: StatusRow | undefined,
): Promise<{ row: StatusRow; inserted: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await services.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto("statuses")
          .values({
            // The post's own date: timelines page by id, so ids must follow publication.
            id: newId(fields.published),
            uri,
            url: fields.url,
            account_id: author.id,
            local: false,
            in_reply_to_id: parent?.id ?? null,
            in_reply_to_account_id: parent?.account_id ?? null,
            in_reply_to_uri: fields.inReplyTo?.href ?? null,
            content: fields.content,
            spoiler_text: fields.spoilerText,
            sensitive: fields.sensitive,
            visibility: fields.visibility,
            language: fields.language,
            created_at: fields.published,
          })
          .onConflict((oc) => oc.column("uri").doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!row) {
          // Received twice at once: the other delivery stored it.
          const existing = await trx
            .selectFrom("statuses")
            .selectAll()
            .where("uri", "=", uri)
            .executeTakeFirstOrThrow();
          return { row: existing, inserted: false };
        }
        await writeMentionsAndTags(trx, row.id, fields, fields.published);
        await writeRemoteAttachments(trx, row.id, author.id, fields.attachments);
        if (parent) {
          await trx
            .updateTable("statuses")
            .set((eb) => ({ replies_count: eb("replies_count", "+", 1) }))
            .where("id", "=", parent.id)
            .execute();
        }
        await trx
          .updateTable("accounts")
          .set((eb) => ({
            statuses_count: eb("statuses_count", "+", 1),
            last_status_at: eb.fn("greatest", ["last_status_at", eb.val(fields.published)]),
          }))
          .where("id", "=", author.id)
          .execute();
        return { row, inserted: true };
      });
    } catch (error) {
      // Two posts published in the same millisecond may draw the same id: draw again.
      const e = error as { code?: string; constraint?: string };
      if (attempt < 3 && e.code === "23505" && e.constraint === "statuses_pkey") continue;
      throw error;
    }
  }
}

/**
 * Replaces the mentions and hashtags of a status with those of `fields`. Mentions are kept
 * only for accounts already known (local ones always are): resolving every remote name would
 * cost a fetch each, and a mention of an unknown account notifies nobody here.
 */
export async function writeMentionsAndTags(
  trx: Trx,
  statusId: string,
  fields: Pick<RemoteStatusFields, "mentionHrefs" | "hashtags">,
  at: Date,
): Promise<void> {
  await trx.deleteFrom("mentions").where("status_id", "=", statusId).execute();
  await trx.deleteFrom("status_tags").where("status_id", "=", statusId).execute();
  const hrefs = fields.mentionHrefs.slice(0, MAX_MENTIONS);
  if (hrefs.length > 0) {
    const accounts = await trx
      .selectFrom("accounts")
      .select("id")
      .where((eb) => eb.or([eb("uri", "in", hrefs), eb("url", "in", hrefs)]))
      .execute();
    const ids = [...new Set(accounts.map((a) => a.id))];
    if (ids.length > 0) {
      await trx
        .insertInto("mentions")
        .values(ids.map((account_id) => ({ status_id: statusId, account_id })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
  const tags = await findOrCreateTags(trx, fields.hashtags);
  if (tags.length > 0) {
    await trx
      .insertInto("status_tags")
      .values(tags.map((t) => ({ status_id: statusId, tag_id: t.id })))
      .onConflict((oc) => oc.doNothing())
      .execute();
    await trx
      .updateTable("tags")
      .set((eb) => ({ last_status_at: eb.fn("greatest", ["last_status_at", eb.val(at)]) }))
      .where(
        "id",
        "in",
        tags.map((t) => t.id),
      )
      .execute();
  }
}
