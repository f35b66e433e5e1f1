// Announcements in real time: publishing, editing, reacting to and withdrawing an
// announcement reach every local user's `user` stream (through the workers), with the
// payloads Mastodon streams: the entity, the reaction count, the bare id.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";
import {
  openSse,
  openWebSocket,
  parsed,
  type RawClient,
  type StreamEventMessage,
  serveWithStreaming,
} from "./helpers/streaming.ts";

let ctx: TestContext;
let url: string;
let stop: () => Promise<void>;
type User = Awaited<ReturnType<typeof createUserWithToken>>;
let admin: User;
let alice: User;
let bob: User;
const clients: RawClient[] = [];
const closers: (() => void)[] = [];

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field
async function api(user: User, method: string, path: string, body?: object): Promise<any> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function ws(user: User, stream: string): Promise<RawClient> {
  const client = await openWebSocket(url, user.token, { stream });
  clients.push(client);
  return client;
}

const announcementEvent = (id: string, content?: string) => (e: StreamEventMessage) =>
  e.event === "announcement" &&
  parsed(e).id === id &&
  (content === undefined || parsed(e).content.includes(content));

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
  const served = await serveWithStreaming(ctx);
  url = served.url;
  stop = served.close;
  admin = await createUserWithToken(ctx, {
    username: "streamannouncer",
    scopes: ["read", "write", "admin:read", "admin:write"],
  });
  await ctx.services.db
    .updateTable("users")
    .set({ role: "admin" })
    .where("id", "=", admin.user.id)
    .execute();
  alice = await createUserWithToken(ctx, { username: "streamalice" });
  bob = await createUserWithToken(ctx, { username: "streambob" });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const close of closers) close();
  await stop?.();
  await ctx?.close();
});

describe("streaming", () => {
  it("publishes, edits, reactions and withdrawal to every user stream", async () => {
    const aliceUser = await ws(alice, "user");
    const bobUser = await ws(bob, "user");
    const bobPublic = await ws(bob, "public");
    const aliceSse = await openSse(url, "/api/v1/streaming/user", alice.token);
    closers.push(aliceSse.close);

    // A draft is not streamed; publishing it is.
    const draft = await api(admin, "POST", "/api/v1/admin/announcements", {
      text: "Maintenance tonight #ops",
    });
    await api(admin, "POST", `/api/v1/admin/announcements/${draft.id}/publish`);
    for (const log of [aliceUser.log, bobUser.log, aliceSse.log]) {
      const e = await log.wait(announcementEvent(draft.id));
      const entity = parsed(e);
      expectSchema("Announcement", entity);
      expect(entity.content).toContain("Maintenance tonight");
      expect(entity.read).toBe(false);
      expect(entity.reactions).toEqual([]);
    }
    await new Promise((r) => setTimeout(r, 300));
    // Once, for the publication: creating the draft sent nothing.
    const published = aliceUser.log.events.filter(announcementEvent(draft.id));
    expect(published).toHaveLength(1);
    expect(published[0]?.stream).toEqual(["user"]);

    // Reactions: the new count, to everyone (the reactor included).
    await api(
      bob,
      "PUT",
      `/api/v1/announcements/${draft.id}/reactions/${encodeURIComponent("👍")}`,
    );
    for (const log of [aliceUser.log, bobUser.log]) {
      const e = await log.wait((m) => m.event === "announcement.reaction");
      expect(parsed(e)).toEqual({ name: "👍", count: 1, announcement_id: draft.id });
    }
    await api(
      alice,
      "PUT",
      `/api/v1/announcements/${draft.id}/reactions/${encodeURIComponent("👍")}`,
    );
    const second = await aliceUser.log.wait(
      (m) => m.event === "announcement.reaction" && parsed(m).count === 2,
    );
    expect(parsed(second)).toEqual({ name: "👍", count: 2, announcement_id: draft.id });
    // Viewer-neutral rendering: the streamed entity after an edit shows counts, not `me`.
    await api(admin, "PUT", `/api/v1/admin/announcements/${draft.id}`, {
      text: "Maintenance moved to tomorrow",
    });
    const edited = parsed(await bobUser.log.wait(announcementEvent(draft.id, "tomorrow")));
    expectSchema("Announcement", edited);
    expect(edited.reactions).toEqual([{ name: "👍", count: 2, me: false }]);

    // Withdrawing: the bare id.
    await api(admin, "POST", `/api/v1/admin/announcements/${draft.id}/unpublish`);
    for (const log of [aliceUser.log, bobUser.log, aliceSse.log]) {
      const e = await log.wait((m) => m.event === "announcement.delete");
      expect(e.payload).toBe(draft.id);
    }

    // Deleting a published one also streams its id.
    const other = await api(admin, "POST", "/api/v1/admin/announcements", {
      text: "Short-lived",
      publish: true,
    });
    await aliceUser.log.wait(announcementEvent(other.id));
    await api(admin, "DELETE", `/api/v1/admin/announcements/${other.id}`);
    const deleted = await aliceUser.log.wait(
      (m) => m.event === "announcement.delete" && m.payload === other.id,
    );
    expect(deleted.stream).toEqual(["user"]);

    // The public stream is not a user stream: it heard none of this.
    expect(bobPublic.log.events.filter((e) => e.event.startsWith("announcement"))).toEqual([]);
  });
});
