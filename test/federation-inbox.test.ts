// Inbound posts from real servers' documents: Create, Update and Delete through the inbox
// handlers, checked in the database and through the Mastodon API.
import { Create, Delete, Update } from "@fedify/vocab";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { onCreate } from "../federation/inbox/create.ts";
import { onDelete } from "../federation/inbox/delete.ts";
import { onUpdate } from "../federation/inbox/update.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import {
  type FixtureFederation,
  fixture,
  fixtureFederation,
  person,
  withContext,
  wrapCreate,
} from "./helpers/inbox-fixtures.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const emitted = vi.hoisted(() => [] as { name: string; payload: Record<string, unknown> }[]);
vi.mock("../src/events/emit.ts", async (original) => {
  const real = await original<typeof import("../src/events/emit.ts")>();
  return {
    ...real,
    emitEvent: async (services: never, name: string, payload: Record<string, unknown>) => {
      emitted.push({ name, payload });
      await real.emitEvent(services, name as never, payload as never);
    },
  };
});

let ctx: TestContext;
let fed: FixtureFederation;
let karen: Awaited<ReturnType<typeof createUserWithToken>>;

const ADMIN = "https://mastodon.local/users/admin";
const NOTE = `${ADMIN}/statuses/99512778738411822`;

beforeAll(async () => {
  // Fixtures address a local user at testing.local: that is us here.
  ctx = await createTestContext({ PUBLIC_URL: "https://testing.local" });
  karen = await createUserWithToken(ctx, { username: "karen" });
  fed = fixtureFederation(ctx.services);
  fed.serve(
    person(ADMIN),
    person("https://mocked.local/users/karen"),
    person("https://pleroma.local/users/karen"),
    person("https://misskey.local/users/92hzkskwgy"),
    person("https://lemmy.local/u/nutomic"),
    person("https://funkwhale.local/federation/actors/compositions"),
    person("https://mobilizon.local/@tcit"),
    person("https://masto.local/users/rinpatch"),
    person("https://wedistribute.local/wp-json/pterotype/v1/actor/-blog"),
  );
});
afterAll(async () => {
  await ctx?.close();
});
beforeEach(() => {
  emitted.length = 0;
});

async function receiveCreate(json: Record<string, unknown>) {
  const create = await fed.parse(Create, json);
  await onCreate(fed.inboxContext(json), create);
}

function statusByUri(uri: string) {
  return ctx.services.db
    .selectFrom("statuses")
    .selectAll()
    .where("uri", "=", uri)
    .executeTakeFirst();
}

async function apiStatus(id: string) {
  const res = await ctx.app.request(`/api/v1/statuses/${id}`, {
    headers: { authorization: `Bearer ${karen.token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("Create", () => {
  it("stores a Mastodon note with its content warning, mention and hashtag, once", async () => {
    const json = fixture("mastodon/mastodon-post-activity-hashtag.json");
    await receiveCreate(json);
    await receiveCreate(json);
    const rows = await ctx.services.db
      .selectFrom("statuses")
      .selectAll()
      .where("uri", "=", NOTE)
      .execute();
    expect(rows).toHaveLength(1);
    const status = rows[0]!;
    expect(status.local).toBe(false);
    expect(status.visibility).toBe("public");
    expect(status.spoiler_text).toBe("cw");
    expect(status.sensitive).toBe(true);
    expect(status.url).toBe("https://mastodon.local/@admin/99512778738411822");
    expect(status.content).toContain('class="h-card"');
    expect(status.content).toContain('rel="nofollow noopener"');
    // Ids follow the post's date, so timelines order received posts by time.
    expect(BigInt(status.id) >> 16n).toBe(BigInt(Date.parse("2018-02-12T14:08:20Z")));
    const mentions = await ctx.services.db
      .selectFrom("mentions")
      .selectAll()
      .where("status_id", "=", status.id)
      .execute();
    expect(mentions.map((m) => m.account_id)).toEqual([karen.account.id]);
    const tags = await ctx.services.db
      .selectFrom("status_tags")
      .innerJoin("tags", "tags.id", "status_tags.tag_id")
      .select("tags.name")
      .where("status_id", "=", status.id)
      .execute();
    expect(tags.map((t) => t.name)).toEqual(["moo"]);
    const author = await ctx.services.db
      .selectFrom("accounts")
      .selectAll()
      .where("uri", "=", ADMIN)
      .executeTakeFirstOrThrow();
    expect(author.domain).toBe("mastodon.local");
    expect(author.statuses_count).toBe(1);
    expect(emitted.filter((e) => e.name === "status.created")).toEqual([
      { name: "status.created", payload: { statusId: status.id } },
    ]);
    const api = await apiStatus(status.id);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({
      id: status.id,
      uri: NOTE,
      visibility: "public",
      spoiler_text: "cw",
      sensitive: true,
    });
  });

  it("links a reply to its parent, fetching the missing parent", async () => {
    const parentUri = "https://mastodon.local/users/admin/statuses/1000";
    fed.serve(
      fixture("mastodon/mastodon-note-object.json", {
        "statuses/99512778738411822": "statuses/1000",
      }),
    );
    const reply = fixture("mastodon/mastodon-note-object-reply.json", {
      "statuses/99512778738411822": "statuses/1000",
    });
    await receiveCreate(wrapCreate(reply));
    const parent = await statusByUri(parentUri);
    const child = await statusByUri("https://mastodon.local/users/admin/statuses/8511");
    expect(parent?.content).toBe("<p>yeah.</p>");
    expect(child?.in_reply_to_id).toBe(parent?.id);
    expect(child?.in_reply_to_account_id).toBe(parent?.account_id);
    expect(parent?.replies_count).toBe(1);
    expect(fed.requested).toContain(parentUri);
  });

  it("keeps a reply whose parent can't be fetched, with the parent's IRI", async () => {
    const reply = fixture("mastodon/mastodon-note-object-reply.json", {
      "statuses/99512778738411822": "statuses/gone",
      "statuses/8511": "statuses/8512",
    });
    await receiveCreate(wrapCreate(reply));
    const child = await statusByUri("https://mastodon.local/users/admin/statuses/8512");
    expect(child?.in_reply_to_id).toBeNull();
    expect(child?.in_reply_to_uri).toBe("https://mastodon.local/users/admin/statuses/gone");
  });

  it("renders Misskey MFM from _misskey_content and from source", async () => {
    await receiveCreate(wrapCreate(withContext(fixture("misskey/mfm_underscore_format.json"))));
    const a = await statusByUri("https://misskey.local/notes/92j1n3owja");
    expect(a?.content).toContain('href="https://misskey.local/tags/dancedance"');
    expect(a?.content).toContain("mfm goes here");
    expect(a?.content).not.toContain("$[jelly");
    expect(a?.visibility).toBe("public");
    await receiveCreate(wrapCreate(withContext(fixture("misskey/mfm_x_format.json"))));
    const b = await statusByUri("https://misskey.local/notes/92j1n3owja_x");
    expect(b?.content).not.toContain("this does not get replaced");
    expect(b?.content).toContain("some text<br />newline");
    expect(b?.content).toContain("#dancedance</a>");
  });

  it("stores Pleroma public and followers-only notes with the right visibility", async () => {
    await receiveCreate(wrapCreate(fixture("pleroma_note.json")));
    const pub = await statusByUri(
      "https://mocked.local/objects/eb3b1181-38cc-4eaf-ba1b-3f5431fa9779",
    );
    expect(pub?.visibility).toBe("public");
    expect(pub?.content).toBe("Certified fediverse celebrity");
    // The private note's author lives at testing.local in the fixture: moved off our host.
    const priv = fixture("pleroma_private_note.json", { "testing.local": "pleroma.local" });
    await receiveCreate(wrapCreate(priv));
    const row = await statusByUri(
      "https://pleroma.local/objects/d953809b-d968-49c8-aa8f-7545b9480a12",
    );
    expect(row?.visibility).toBe("private");
  });

  it("takes the language from contentMap and stores a Question as a post", async () => {
    await receiveCreate(fixture("mastodon/mastodon-question-activity.json"));
    const q = await statusByUri("https://masto.local/users/rinpatch/statuses/102070944809637304");
    expect(q?.content).toBe("<p>Why is Tenshi eating a corndog so cute?</p>");
    expect(q?.language).toBe("en");
  });

  it("shows a Lemmy page, a PeerTube video, Funkwhale audio, a Mobilizon event and an article with title and link", async () => {
    await receiveCreate(wrapCreate(fixture("lemmy-page.json")));
    const page = await statusByUri("https://lemmy.local/post/3");
    expect(page?.content).toContain("<p>Hello Federation!</p>");
    expect(page?.content).toContain('href="https://lemmy.local/pictrs/image/US52d9DPvf.jpg"');
    // Addressed to a community only: nobody's public timeline.
    expect(page?.visibility).toBe("direct");

    // The fixture's video is attributed to a third host; real PeerTube names the sender.
    await receiveCreate(
      fixture("peertube/video.json", {
        "https://peertube.local/accounts/createurs": "https://mocked.local/users/karen",
      }),
    );
    const video = await statusByUri(
      "https://mocked.local/videos/watch/abece3c3-b9c6-47f4-8040-f3eed8c602e6",
    );
    expect(video?.content).toContain(
      "<strong>Vu du 20/02/21 : &quot;Planète Mars 2050&quot;</strong>",
    );
    expect(video?.content).toContain(
      'href="https://peertube.local/videos/watch/abece3c3-b9c6-47f4-8040-f3eed8c602e6"',
    );

    await receiveCreate(fixture("funkwhale_create_audio.json"));
    const audio = await statusByUri(
      "https://funkwhale.local/federation/music/uploads/42342395-0208-4fee-a38d-259a6dae0871",
    );
    expect(audio?.content).toContain("<strong>Compositions - Test Audio for Pleroma</strong>");
    expect(audio?.content).toContain('href="https://funkwhale.local/');

    await receiveCreate(wrapCreate(fixture("mobilizon.org-event.json")));
    const event = await statusByUri(
      "https://mobilizon.local/events/252d5816-00a3-4a89-a66f-15bf65c33e39",
    );
    expect(event?.content).toContain("<strong>Mobilizon Launching Party</strong>");
    expect(event?.visibility).toBe("public");

    await receiveCreate(fixture("wedistribute-create-article.json"));
    const article = await statusByUri(
      "https://wedistribute.local/wp-json/pterotype/v1/object/85810",
    );
    expect(article?.content).toMatch(/^<p><strong>The end is near/);
    expect(article?.content).toContain("<blockquote><p>...OStatus");
    expect(article?.content).not.toContain("wp:paragraph");
    expect(article?.content).not.toContain("has-drop-cap");
    const api = await apiStatus(article!.id);
    expect(api.status).toBe(200);
    expect(api.body.content).toBe(article?.content);
  });
});

describe("Update and Delete", () => {
  const uri = "https://mastodon.local/users/admin/statuses/2000";
  const note = (content: string, updated?: string) => ({
    ...fixture("mastodon/mastodon-note-object.json", {
      "statuses/99512778738411822": "statuses/2000",
    }),
    content,
    ...(updated ? { updated } : {}),
  });

  it("applies an edit once, keeping the history", async () => {
    await receiveCreate(wrapCreate(note("<p>first</p>")));
    const json = wrapCreate(
      note("<p>second <script>x()</script></p>", "2018-02-18T00:00:00Z"),
      "Update",
    );
    const update = await fed.parse(Update, json);
    await onUpdate(fed.inboxContext(json), update);
    await onUpdate(fed.inboxContext(json), update);
    const status = await statusByUri(uri);
    expect(status?.content).toBe("<p>second </p>");
    expect(status?.edited_at?.toISOString()).toBe("2018-02-18T00:00:00.000Z");
    const edits = await ctx.services.db
      .selectFrom("status_edits")
      .selectAll()
      .where("status_id", "=", status!.id)
      .orderBy("id")
      .execute();
    expect(edits.map((e) => e.content)).toEqual(["<p>first</p>", "<p>second </p>"]);
    expect(emitted.filter((e) => e.name === "status.updated")).toHaveLength(1);
  });

  it("refuses an edit by someone else", async () => {
    const json = {
      ...wrapCreate(note("<p>hijacked</p>", "2019-01-01T00:00:00Z"), "Update"),
      actor: "https://mocked.local/users/karen",
    };
    await onUpdate(fed.inboxContext(json), await fed.parse(Update, json));
    expect((await statusByUri(uri))?.content).toBe("<p>second </p>");
  });

  it("deletes a post only for its author", async () => {
    const tombstone = { type: "Tombstone", id: uri };
    const forged = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://mocked.local/d/1",
      type: "Delete",
      actor: "https://mocked.local/users/karen",
      object: tombstone,
    };
    await onDelete(fed.inboxContext(forged), await fed.parse(Delete, forged));
    expect(await statusByUri(uri)).toBeDefined();
    // The fixture's @context lacks the ActivityStreams context every real Delete carries.
    const json = withContext(
      fixture("mastodon/mastodon-delete.json", { "statuses/99620895606148759": "statuses/2000" }),
    );
    const status = await statusByUri(uri);
    await onDelete(fed.inboxContext(json), await fed.parse(Delete, json));
    expect(await statusByUri(uri)).toBeUndefined();
    expect(emitted.find((e) => e.name === "status.deleted")?.payload).toMatchObject({
      statusId: status!.id,
      uri,
      local: false,
      visibility: "public",
      reblogOfId: null,
    });
  });

  it("deletes an account that deletes itself, with its posts", async () => {
    const actor = "https://mastodon.local/users/deleted";
    fed.serve(person(actor));
    await receiveCreate(
      wrapCreate({ ...note("<p>bye</p>"), id: `${actor}/statuses/1`, attributedTo: actor }),
    );
    expect(await statusByUri(`${actor}/statuses/1`)).toBeDefined();
    const json = withContext(fixture("mastodon/mastodon-delete-user.json"));
    await onDelete(fed.inboxContext(json), await fed.parse(Delete, json));
    expect(await statusByUri(`${actor}/statuses/1`)).toBeUndefined();
    const account = await ctx.services.db
      .selectFrom("accounts")
      .select("id")
      .where("uri", "=", actor)
      .executeTakeFirst();
    expect(account).toBeUndefined();
    expect(emitted.some((e) => e.name === "account.deleted" && e.payload.uri === actor)).toBe(true);
  });
});
