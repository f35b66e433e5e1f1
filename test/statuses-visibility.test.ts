// The visibility matrix: each visibility × each kind of viewer × each read endpoint of
// the statuses API. What a viewer may not see must be a 404 or absent, never a 403.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

type User = Awaited<ReturnType<typeof createUserWithToken>>;
type Viewer = "author" | "follower" | "mentioned" | "stranger" | "anonymous" | "blocked";
type Visibility = "public" | "unlisted" | "private" | "direct";

const VISIBILITIES: Visibility[] = ["public", "unlisted", "private", "direct"];
const VIEWERS: Viewer[] = ["author", "follower", "mentioned", "stranger", "anonymous", "blocked"];

const EXPECTED: Record<Visibility, Record<Viewer, boolean>> = {
  public: {
    author: true,
    follower: true,
    mentioned: true,
    stranger: true,
    anonymous: true,
    blocked: false,
  },
  unlisted: {
    author: true,
    follower: true,
    mentioned: true,
    stranger: true,
    anonymous: true,
    blocked: false,
  },
  private: {
    author: true,
    follower: true,
    mentioned: true,
    stranger: false,
    anonymous: false,
    blocked: false,
  },
  direct: {
    author: true,
    follower: false,
    mentioned: true,
    stranger: false,
    anonymous: false,
    blocked: false,
  },
};

let ctx: TestContext;
const users = {} as Record<Exclude<Viewer, "anonymous">, User>;
const statuses = {} as Record<Visibility, { id: string; replyId: string }>;

function tokenOf(viewer: Viewer): string | null {
  return viewer === "anonymous" ? null : users[viewer].token;
}

async function get(path: string, token: string | null): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await ctx.app.request(path, { headers });
  return { status: res.status, body: await res.json() };
}

async function postAs(user: User, path: string, body: Record<string, unknown> = {}): Promise<Json> {
  const res = await ctx.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return await res.json();
}

beforeAll(async () => {
  ctx = await createTestContext();
  for (const name of ["author", "follower", "mentioned", "stranger", "blocked"] as const) {
    users[name] = await createUserWithToken(ctx, { username: `v_${name}` });
  }
  const { db } = ctx.services;
  await db
    .insertInto("follows")
    .values(
      ["follower", "blocked"].map((who) => ({
        id: newId(),
        account_id: users[who as "follower"].account.id,
        target_account_id: users.author.account.id,
        uri: null,
        created_at: new Date(),
      })),
    )
    .execute();
  // The author blocks "blocked" (who still follows, and is mentioned: the block wins).
  await db
    .insertInto("blocks")
    .values({
      id: newId(),
      account_id: users.author.account.id,
      target_account_id: users.blocked.account.id,
      uri: null,
      created_at: new Date(),
    })
    .execute();
  for (const visibility of VISIBILITIES) {
    const root = await postAs(users.author, "/api/v1/statuses", {
      status: `root ${visibility}`,
      visibility: "public",
    });
    const s = await postAs(users.author, "/api/v1/statuses", {
      status: `@v_mentioned @v_blocked ${visibility} post`,
      visibility,
      in_reply_to_id: root.id,
    });
    expect(s.visibility).toBe(visibility);
    const reply = await postAs(users.author, "/api/v1/statuses", {
      status: "self-reply",
      visibility: "direct",
      in_reply_to_id: s.id,
    });
    // A direct self-reply is visible to the post's audience only through its mentions.
    statuses[visibility] = { id: s.id, replyId: reply.id };
    // The author favourites it, so favourited_by has something to show.
    await postAs(users.author, `/api/v1/statuses/${s.id}/favourite`);
  }
});

afterAll(async () => {
  await ctx?.close();
});

describe.each(VISIBILITIES)("a %s status", (visibility) => {
  it.each(VIEWERS)("as seen by %s", async (viewer) => {
    const token = tokenOf(viewer);
    const { id } = statuses[visibility];
    const visible = EXPECTED[visibility][viewer];

    const one = await get(`/api/v1/statuses/${id}`, token);
    expect(one.status).toBe(visible ? 200 : 404);
    if (visible) expectSchema("Status", one.body);
    else expect(one.body).toEqual({ error: "Record not found" });

    const context = await get(`/api/v1/statuses/${id}/context`, token);
    expect(context.status).toBe(visible ? 200 : 404);
    if (visible) expectSchema("Context", context.body);

    const favBy = await get(`/api/v1/statuses/${id}/favourited_by`, token);
    expect(favBy.status).toBe(visible ? 200 : 404);
    if (visible) expect(favBy.body.map((a: Json) => a.id)).toEqual([users.author.account.id]);

    const multiple = await get(`/api/v1/statuses?id[]=${id}`, token);
    expect(multiple.body.map((s: Json) => s.id)).toEqual(visible ? [id] : []);

    const list = await get(`/api/v1/accounts/${users.author.account.id}/statuses?limit=40`, token);
    expect(list.status).toBe(200);
    expect(list.body.some((s: Json) => s.id === id)).toBe(visible);

    // The root is public: its thread lists the post only to those who may see it.
    const root = (await get(`/api/v1/statuses/${id}`, users.author.token)).body.in_reply_to_id;
    const thread = await get(`/api/v1/statuses/${root}/context`, token);
    if (viewer === "blocked") {
      expect(thread.status).toBe(404);
    } else {
      expect(thread.status).toBe(200);
      const ids = thread.body.descendants.map((s: Json) => s.id);
      expect(ids.includes(id)).toBe(visible);
    }
  });
});

describe("boosts", () => {
  it("a boost of an invisible status is hidden too", async () => {
    // The follower boosts a public post; the author's private post cannot be boosted by them.
    const priv = statuses.private.id;
    const res = await ctx.app.request(`/api/v1/statuses/${priv}/reblog`, {
      method: "POST",
      headers: { authorization: `Bearer ${users.follower.token}` },
    });
    expect(res.status).toBe(403);
    const stranger = await ctx.app.request(`/api/v1/statuses/${statuses.direct.id}/reblog`, {
      method: "POST",
      headers: { authorization: `Bearer ${users.stranger.token}` },
    });
    expect(stranger.status).toBe(404);
    // The author's own followers-only boost is visible to followers only.
    const boost = await postAs(users.author, `/api/v1/statuses/${priv}/reblog`);
    expect(boost.visibility).toBe("private");
    expect((await get(`/api/v1/statuses/${boost.id}`, users.follower.token)).status).toBe(200);
    expect((await get(`/api/v1/statuses/${boost.id}`, users.stranger.token)).status).toBe(404);
    expect((await get(`/api/v1/statuses/${boost.id}`, null)).status).toBe(404);
    const byStranger = await get(`/api/v1/statuses/${statuses.public.id}/reblogged_by`, null);
    expect(byStranger.status).toBe(200);
  });
});
