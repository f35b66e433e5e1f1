// Content negotiation at actor and post URLs: ActivityPub clients get Fedify's JSON,
// browsers a server-rendered page with OpenGraph tags and the alternate JSON link; posts
// only their followers (or the mentioned) may see are a 404 for browsers; what users wrote
// reaches the page escaped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const AP = "application/activity+json";
const LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;
const posts: Record<string, string> = {};

async function postStatus(status: string, visibility: string, extra: object = {}) {
  const res = await ctx.app.request("/api/v1/statuses", {
    method: "POST",
    headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
    body: JSON.stringify({ status, visibility, ...extra }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: ORIGIN });
  alice = await createUserWithToken(ctx, { username: "alice" });
  await ctx.services.db
    .updateTable("accounts")
    .set({
      display_name: "Alice <script>alert(1)</script>",
      note: 'Bio with "quotes" & <b>tags</b>',
    })
    .where("id", "=", alice.account.id)
    .execute();
  posts.public = await postStatus("Hello <img src=x onerror=alert(1)> world", "public");
  posts.unlisted = await postStatus("quiet one", "unlisted");
  posts.private = await postStatus("followers only secret", "private");
  posts.direct = await postStatus("direct secret", "direct");
  posts.cw = await postStatus("behind a warning", "public", { spoiler_text: "CW here" });
}, 90_000);
afterAll(async () => {
  await ctx?.close();
});

const get = (path: string, accept: string) =>
  ctx.app.request(`${ORIGIN}${path}`, { headers: { accept } });

function meta(page: string, property: string): string | undefined {
  const re = new RegExp(`<meta property="${property.replace(/[:.]/g, "\\$&")}" content="([^"]*)">`);
  return re.exec(page)?.[1];
}

describe("actor URL", () => {
  it("gives ActivityPub clients the actor JSON", async () => {
    for (const accept of [AP, LD]) {
      const res = await get("/users/alice", accept);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/application\/(activity|ld)\+json/);
      const body = (await res.json()) as { id: string; type: string };
      expect(body).toMatchObject({ id: `${ORIGIN}/users/alice`, type: "Person" });
    }
  });

  it("gives browsers a profile page at /users/:u and /@:u, escaped, with OpenGraph", async () => {
    for (const path of ["/users/alice", "/@alice"]) {
      const res = await get(path, BROWSER);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("vary")).toMatch(/Accept/);
      const page = await res.text();
      expect(page).toContain("Alice &lt;script&gt;alert(1)&lt;/script&gt;");
      expect(page).not.toContain("<script>alert(1)</script>");
      expect(page).toContain("&lt;b&gt;tags&lt;/b&gt;");
      expect(page).not.toMatch(/<img src="?x"? onerror/i);
      expect(page).toContain(
        `<link rel="alternate" type="application/activity+json" href="${ORIGIN}/users/alice">`,
      );
      expect(meta(page, "og:type")).toBe("profile");
      expect(meta(page, "og:url")).toBe(`${ORIGIN}/@alice`);
      expect(meta(page, "og:title")).toBe(
        "Alice &lt;script&gt;alert(1)&lt;/script&gt; (@alice@testing.local)",
      );
      // Recent posts: public and unlisted, never followers-only or direct.
      expect(page).toContain("quiet one");
      expect(page).toContain("Hello");
      expect(page).toContain(`href="${ORIGIN}/@alice/${posts.public}"`);
      expect(page).not.toContain("secret");
      expect(page).toContain("<summary>CW here</summary>");
    }
  });

  it("is a 404 page for unknown or suspended accounts", async () => {
    expect((await get("/users/nobody", BROWSER)).status).toBe(404);
    expect((await get("/@nobody", BROWSER)).status).toBe(404);
    const bob = await createUserWithToken(ctx, { username: "bob" });
    await ctx.services.db
      .updateTable("accounts")
      .set({ suspended_at: new Date() })
      .where("id", "=", bob.account.id)
      .execute();
    const res = await get("/@bob", BROWSER);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("bob@");
  });

  it("sends ActivityPub clients at /@:u to the actor", async () => {
    const res = await get("/@alice", AP);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/users/alice");
  });
});

describe("post URL", () => {
  it("gives ActivityPub clients the Note and browsers a page", async () => {
    const json = await get(`/users/alice/statuses/${posts.public}`, AP);
    expect(json.status).toBe(200);
    expect(((await json.json()) as { type: string }).type).toBe("Note");
    for (const path of [`/users/alice/statuses/${posts.public}`, `/@alice/${posts.public}`]) {
      const res = await get(path, BROWSER);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain("Hello");
      expect(page).not.toMatch(/<img src="?x"? onerror/i);
      expect(page).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[^"]+">/);
      expect(page).toContain("Alice &lt;script&gt;");
      expect(meta(page, "og:type")).toBe("article");
      expect(meta(page, "og:url")).toBe(`${ORIGIN}/@alice/${posts.public}`);
      expect(meta(page, "og:description")).toContain("Hello");
      expect(page).toContain(
        `<link rel="alternate" type="application/activity+json" href="${ORIGIN}/users/alice/statuses/${posts.public}">`,
      );
    }
    // Unlisted posts have pages too (anyone with the link may read them).
    expect((await get(`/@alice/${posts.unlisted}`, BROWSER)).status).toBe(200);
  });

  it("is a 404 for browsers on followers-only and direct posts, same as a missing one", async () => {
    for (const id of [posts.private, posts.direct, "999999999999"]) {
      for (const path of [`/users/alice/statuses/${id}`, `/@alice/${id}`]) {
        const res = await get(path, BROWSER);
        expect(res.status, path).toBe(404);
        const page = await res.text();
        expect(page).not.toContain("secret");
      }
    }
    // And to anonymous ActivityPub fetches.
    expect((await get(`/users/alice/statuses/${posts.private}`, AP)).status).toBeGreaterThanOrEqual(
      400,
    );
  });

  it("has no page at ActivityPub-only URLs", async () => {
    const res = await get("/users/alice/followers", BROWSER);
    expect([404, 406]).toContain(res.status);
    expect(res.headers.get("content-type")).not.toMatch(/text\/html/);
  });
});
