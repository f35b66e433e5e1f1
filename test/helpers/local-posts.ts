// Local public posts written straight to the database, for tests that need many posts fast
// and in a known order: each one is a second after the one before (id and date alike),
// starting well in the past so that posts made through the API come after them.
import type { AccountRow } from "../../src/auth/middleware.ts";
import { newId } from "../../src/infra/ids.ts";
import type { TestContext } from "./services.ts";

export interface PostExtras {
  spoiler?: string;
  inReplyTo?: { id: string; account_id: string };
}

/** `ctx` is a getter: the test context is made in beforeAll, after this is called. */
export function localPosts(ctx: () => TestContext) {
  let clock = Date.now() - 10_000_000;
  /** The next moment in the sequence (milliseconds), for rows a test writes itself. */
  const next = (): number => {
    clock += 1000;
    return clock;
  };
  const post = (author: AccountRow, content: string, extra: PostExtras = {}) => {
    const at = next();
    const id = newId(at);
    return ctx()
      .services.db.insertInto("statuses")
      .values({
        id,
        uri: `https://example.test/statuses/${id}`,
        account_id: author.id,
        local: true,
        visibility: "public",
        content: `<p>${content}</p>`,
        text: content,
        spoiler_text: extra.spoiler ?? "",
        in_reply_to_id: extra.inReplyTo?.id ?? null,
        in_reply_to_account_id: extra.inReplyTo?.account_id ?? null,
        created_at: new Date(at),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  };
  return { next, post };
}
