// Inbound favourites, emoji reactions and boosts, and the forgeries that must create
// nothing (real documents from other servers, including deliberately spoofed ones).
import { Announce, Create, EmojiReact, Like } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onAnnounce, undoAnnounce } from "../federation/inbox/announce.ts";
import { onCreate } from "../federation/inbox/create.ts";
import { onEmojiReact, onLike, undoFavouriteByUri, undoLike } from "../federation/inbox/like.ts";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import {
  AS_CONTEXT,
  type FixtureFederation,
  fixture,
  fixtureFederation,
  PUBLIC,
  person,
  withContext,
  wrapCreate,
} from "./helpers/inbox-fixtures.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let fed: FixtureFederation;
let localStatusId: string;
let localUri: string;

const ADMIN = "https://mastodon.local/users/admin";
const LIKED = "http://testing.local/objects/eb92579d-3417-42a8-8652-2492c2d4f454";

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: "https://testing.local" });
  const karen = await createUserWithToken(ctx, { username: "karen" });
  fed = fixtureFederation(ctx.services);
  fed.serve(
    person(ADMIN),
    person("https://misskey.local/users/8x8yep20u2"),
    person("https://mocked.local/users/karen"),
    person("https://mocked.local/users/emelie"),
    person("https://patch.local/users/rin"),
    person("https://instance.local/users/karen"),
  );
  localStatusId = newId();
  localUri = `https://testing.local/users/karen/statuses/${localStatusId}`;
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id: localStatusId,
      uri: localUri,
      url: null,
      account_id: karen.account.id,
      local: true,
      in_reply_to_id: null,
      in_reply_to_account_id: null,
      in_reply_to_uri: null,
      reblog_of_id: null,
      conversation_id: null,
      visibility: "public",
      language: null,
      application_id: null,
      edited_at: null,
      content: "<p>hello</p>",
    })
    .execute();
});
afterAll(async () => {
  await ctx?.close();
});

async function favourites() {
  const rows = await ctx.services.db
    .selectFrom("favourites")
    .selectAll()
    .where("status_id", "=", localStatusId)
    .execute();
  const status = await ctx.services.db
    .selectFrom("statuses")
    .select("favourites_count")
    .where("id", "=", localStatusId)
    .executeTakeFirstOrThrow();
  return { rows, count: status.favourites_count };
}

async function countStatuses(): Promise<number> {
  const row = await ctx.services.db
    .selectFrom("statuses")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("Like and reactions", () => {
  it("counts a Like of a local post once, and takes it back on Undo", async () => {
    const json = fixture("mastodon/mastodon-like.json", { [LIKED]: "LOCAL" });
    json.object = localUri;
    const like = await fed.parse(Like, json);
    await onLike(fed.inboxContext(json), like);
    await onLike(fed.inboxContext(json), like);
    let fav = await favourites();
    expect(fav.count).toBe(1);
    expect(fav.rows.map((r) => r.uri)).toEqual(["https://mastodon.local/users/admin#likes/2"]);
    const admin = await ctx.services.db
      .selectFrom("accounts")
      .selectAll()
      .where("uri", "=", ADMIN)
      .executeTakeFirstOrThrow();
    await undoLike(fed.inboxContext(json), admin, like);
    fav = await favourites();
    expect(fav.count).toBe(0);
    expect(fav.rows).toHaveLength(0);
  });

  it("counts Misskey's Like with an emoji as a favourite; undoes it by id alone", async () => {
    const json = withContext(fixture("custom-emoji-reaction.json"));
    json.object = localUri;
    await onLike(fed.inboxContext(json), await fed.parse(Like, json));
    expect((await favourites()).count).toBe(1);
    const sender = await ctx.services.db
      .selectFrom("accounts")
      .selectAll()
      .where("uri", "=", "https://misskey.local/users/8x8yep20u2")
      .executeTakeFirstOrThrow();
    expect(
      await undoFavouriteByUri(
        fed.inboxContext(json),
        sender,
        "https://misskey.local/likes/917ocsybgp",
      ),
    ).toBe(true);
    expect((await favourites()).count).toBe(0);
  });

  it("counts a valid EmojiReact; ignores ones that are not one emoji", async () => {
    for (const name of ["emoji-reaction-no-emoji.json", "emoji-reaction-too-long.json"]) {
      const json = fixture(name);
      json.object = localUri;
      await onEmojiReact(fed.inboxContext(json), await fed.parse(EmojiReact, json));
    }
    expect((await favourites()).count).toBe(0);
    const json = fixture("emoji-reaction.json");
    json.object = localUri;
    await onEmojiReact(fed.inboxContext(json), await fed.parse(EmojiReact, json));
    expect((await favourites()).count).toBe(1);
  });
});

describe("Announce", () => {
  const announced = `${ADMIN}/statuses/99512778738411822`;

  it("stores a boost of a fetched remote post once, and removes it on Undo", async () => {
    fed.serve(fixture("mastodon/mastodon-note-object.json"));
    const json = fixture("mastodon/mastodon-announce.json");
    const announce = await fed.parse(Announce, json);
    await onAnnounce(fed.inboxContext(json), announce);
    await onAnnounce(fed.inboxContext(json), announce);
    const boosts = await ctx.services.db
      .selectFrom("statuses")
      .selectAll()
      .where("uri", "=", json.id as string)
      .execute();
    expect(boosts).toHaveLength(1);
    const original = await ctx.services.db
      .selectFrom("statuses")
      .selectAll()
      .where("uri", "=", announced)
      .executeTakeFirstOrThrow();
    expect(boosts[0]!.reblog_of_id).toBe(original.id);
    expect(boosts[0]!.visibility).toBe("public");
    expect(original.reblogs_count).toBe(1);
    const admin = await ctx.services.db
      .selectFrom("accounts")
      .selectAll()
      .where("uri", "=", ADMIN)
      .executeTakeFirstOrThrow();
    await undoAnnounce(fed.inboxContext(json), admin, announce);
    expect(
      await ctx.services.db
        .selectFrom("statuses")
        .select("id")
        .where("uri", "=", json.id as string)
        .executeTakeFirst(),
    ).toBeUndefined();
    const after = await ctx.services.db
      .selectFrom("statuses")
      .select("reblogs_count")
      .where("id", "=", original.id)
      .executeTakeFirstOrThrow();
    expect(after.reblogs_count).toBe(0);
  });

  it("boosts a local post", async () => {
    const json = {
      "@context": AS_CONTEXT,
      id: `${ADMIN}/statuses/3/activity`,
      type: "Announce",
      actor: ADMIN,
      to: [PUBLIC],
      object: localUri,
    };
    await onAnnounce(fed.inboxContext(json), await fed.parse(Announce, json));
    const boost = await ctx.services.db
      .selectFrom("statuses")
      .selectAll()
      .where("uri", "=", json.id)
      .executeTakeFirstOrThrow();
    expect(boost.reblog_of_id).toBe(localStatusId);
  });
});

describe("forgeries create nothing", () => {
  it("bogus-mastodon-announce: an embedded post of another server is fetched, not believed", async () => {
    const before = await countStatuses();
    const json = fixture("bogus-mastodon-announce.json", {
      "99542391527669785": "99542391527669786",
    });
    await onAnnounce(fed.inboxContext(json), await fed.parse(Announce, json));
    expect(await countStatuses()).toBe(before);
    expect(fed.requested).toContain(
      "https://mocked.local/users/emelie/statuses/101849165031453404",
    );
  });

  it("spoofed-object: a document served at another URL than its id is refused", async () => {
    const before = await countStatuses();
    // An uploaded file on the author's own host, claiming to be a post.
    const fileUrl = "https://patch.local/media/spoof.json";
    fed.serveAt(fileUrl, fixture("spoofed-object.json"));
    const json = {
      "@context": AS_CONTEXT,
      id: "https://patch.local/users/rin/boost/1",
      type: "Announce",
      actor: "https://patch.local/users/rin",
      to: [PUBLIC],
      object: fileUrl,
    };
    await onAnnounce(fed.inboxContext(json), await fed.parse(Announce, json));
    expect(await countStatuses()).toBe(before);
    // Nor as the parent of a reply (fetched while following the reply chain).
    const reply = {
      "@context": AS_CONTEXT,
      id: "https://patch.local/objects/reply",
      type: "Note",
      attributedTo: "https://patch.local/users/rin",
      to: [PUBLIC],
      content: "re",
      inReplyTo: fileUrl,
    };
    await onCreate(fed.inboxContext(wrapCreate(reply)), await fed.parse(Create, wrapCreate(reply)));
    const stored = await ctx.services.db
      .selectFrom("statuses")
      .select("uri")
      .where("uri", "like", "https://patch.local/%")
      .execute();
    expect(stored.map((r) => r.uri)).toEqual([reply.id]);
  });

  it("spoofed_pleroma_note: a post attributed to another origin than its id is refused", async () => {
    const before = await countStatuses();
    const note = fixture("spoofed_pleroma_note.json");
    // Sent by the author it names, or by the host it lives on: refused either way.
    for (const actor of [
      "https://mocked.local/users/karen",
      "https://instance.local/users/karen",
    ]) {
      const json = { ...wrapCreate(note), actor };
      await onCreate(fed.inboxContext(json), await fed.parse(Create, json));
    }
    expect(await countStatuses()).toBe(before);
  });

  it("refuses a Create whose post is attributed to someone else on the same server", async () => {
    const before = await countStatuses();
    const json = {
      ...wrapCreate(fixture("pleroma_note.json")),
      actor: "https://mocked.local/users/emelie",
    };
    await onCreate(fed.inboxContext(json), await fed.parse(Create, json));
    expect(await countStatuses()).toBe(before);
  });

  it("refuses content over 100 KB and strips scripts and handlers", async () => {
    const before = await countStatuses();
    const big = {
      ...fixture("pleroma_note.json"),
      id: "https://mocked.local/objects/big",
      content: `<p>${"a".repeat(100_001)}</p>`,
    };
    await onCreate(fed.inboxContext(wrapCreate(big)), await fed.parse(Create, wrapCreate(big)));
    expect(await countStatuses()).toBe(before);
    const nasty = {
      ...fixture("pleroma_note.json"),
      id: "https://mocked.local/objects/nasty",
      content:
        '<p onclick="steal()">hi<script>alert(1)</script><style>*{}</style><a href="javascript:alert(1)">x</a><img src=x onerror=y></p>',
    };
    await onCreate(fed.inboxContext(wrapCreate(nasty)), await fed.parse(Create, wrapCreate(nasty)));
    const row = await ctx.services.db
      .selectFrom("statuses")
      .select("content")
      .where("uri", "=", nasty.id)
      .executeTakeFirstOrThrow();
    expect(row.content).toBe("<p>hix</p>");
  });

  it("ignores posts from suspended accounts", async () => {
    await ctx.services.db
      .updateTable("accounts")
      .set({ suspended_at: new Date() })
      .where("uri", "=", "https://mocked.local/users/karen")
      .execute();
    const note = { ...fixture("pleroma_note.json"), id: "https://mocked.local/objects/suspended" };
    await onCreate(fed.inboxContext(wrapCreate(note)), await fed.parse(Create, wrapCreate(note)));
    expect(
      await ctx.services.db
        .selectFrom("statuses")
        .select("id")
        .where("uri", "=", note.id)
        .executeTakeFirst(),
    ).toBeUndefined();
  });
});
