// The pinned posts of a remote account, read from its `featured` collection whenever the
// account's actor document is stored: first sight, a refresh, an Update (as Mastodon's
// FetchFeaturedCollectionService does), so its profile shows them before it ever sends an
// Add, and pins missed while nobody here followed it are corrected. When the whole
// collection was read, pins it no longer lists are removed. Changes in between arrive as
// Add/Remove (federation/inbox/add.ts, remove.ts). The fetch runs as a
// `federation.fetch_featured` job, off the request that stored the account, and never
// fails that request.
//
// Bounded: one collection document and, when its items are on pages, only the first page;
// at most FEATURED_FETCH_LIMIT items, each post fetched (when not inline) by the instance
// actor's signed loader, which refuses private addresses as every other fetch does. Each
// post then goes through the Add handler's rules (pinFeaturedPost): the account's own
// public or unlisted posts, on its own origin, not boosts.
import type { DocumentLoader } from "@fedify/fedify";
import { type Object as APObject, Collection, Link } from "@fedify/vocab";
import type { AccountRow } from "../src/auth/middleware.ts";
import { log } from "../src/infra/logging.ts";
import type { Services } from "../src/services.ts";
import type { Job } from "../workers/jobs.ts";
import { pinFeaturedPost } from "./inbox/add.ts";
import { federationContext } from "./index.ts";
import { INSTANCE_ACTOR } from "./util.ts";

const logger = log("federation");

/** Mastodon pins at most 5 posts per local account; other servers allow more. */
export const FEATURED_FETCH_LIMIT = 20;

/** Queues the fetch for a newly stored account; a queue failure is logged, not thrown. */
export async function enqueueFeaturedFetch(services: Services, account: AccountRow) {
  if (!account.featured_url || account.domain === null) return;
  const job: Job = { type: "federation.fetch_featured", accountId: account.id };
  try {
    await services.queues.jobs.enqueue(job);
  } catch (error) {
    logger.warn("Could not queue the featured fetch of {uri}: {error}", {
      uri: account.uri,
      error,
    });
  }
}

/** The `federation.fetch_featured` job: pins what the account's featured collection lists. */
export async function fetchFeaturedCollection(services: Services, accountId: string) {
  const account = await services.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!account?.featured_url || account.domain === null || account.suspended_at) return;
  const url = new URL(account.featured_url);
  // Only the actor's own server speaks for what the actor pinned.
  if (url.origin !== new URL(account.uri).origin) return;
  const ctx = federationContext(services);
  const loaders = {
    documentLoader: await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR }),
    contextLoader: ctx.contextLoader,
  };
  const listed = new Set<string>();
  const read = { complete: false };
  try {
    for await (const item of featuredItems(ctx, url, loaders, read)) {
      // Posts only: a Link names no object to pin.
      if (item instanceof Link || !item.id) continue;
      listed.add(item.id.href);
      await pinFeaturedPost(ctx, account, item.id, async () => item);
    }
  } catch (error) {
    logger.info("Fetching the featured collection of {uri} failed: {error}", {
      uri: account.uri,
      error,
    });
    return;
  }
  // Only a collection read to its end says what is no longer pinned.
  if (read.complete) await unpinUnlisted(services, account.id, listed);
  logger.debug("{count} featured posts of {uri} listed", { count: listed.size, uri: account.uri });
}

/** Removes the account's pins of posts that `listed` (URIs) does not name. */
async function unpinUnlisted(services: Services, accountId: string, listed: Set<string>) {
  await services.db
    .deleteFrom("status_pins")
    .where("account_id", "=", accountId)
    .where((eb) =>
      listed.size === 0
        ? eb.val(true)
        : eb(
            "status_id",
            "not in",
            eb
              .selectFrom("statuses")
              .select("id")
              .where("uri", "in", [...listed]),
          ),
    )
    .execute();
}

interface Loaders {
  documentLoader: DocumentLoader;
  contextLoader: DocumentLoader;
}

/** Up to FEATURED_FETCH_LIMIT items of the collection at `url` or of its first page. */
async function* featuredItems(
  ctx: ReturnType<typeof federationContext>,
  url: URL,
  loaders: Loaders,
  read: { complete: boolean },
): AsyncGenerator<APObject | Link> {
  const collection = await ctx.lookupObject(url, { ...loaders, crossOrigin: "ignore" });
  if (!(collection instanceof Collection) || collection.id?.href !== url.href) {
    throw new Error("not a collection");
  }
  // Items from another origin than the collection's are dropped, not trusted or fetched.
  const options = { ...loaders, crossOrigin: "ignore" as const, suppressError: true };
  let count = 0;
  for await (const item of collection.getItems(options)) {
    yield item;
    if (++count >= FEATURED_FETCH_LIMIT) return;
  }
  if (count > 0 || !collection.firstId) {
    read.complete = collection.totalItems == null || collection.totalItems <= count;
    return;
  }
  const page = await collection.getFirst(options);
  if (!page) return;
  for await (const item of page.getItems(options)) {
    yield item;
    if (++count >= FEATURED_FETCH_LIMIT) return;
  }
  // The first page was the whole collection only when it points to no next one.
  read.complete = !("nextId" in page) || page.nextId == null;
}
