// Account reads and profile edits through the HTTP API: GET :id, lookup, search,
// followers/following paging, update_credentials in JSON, urlencoded and multipart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage } from "./helpers/media.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
}, 60_000);

afterAll(async () => {
  await ctx?.close();
});

function api(path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: BodyInit | undefined;
  if (init.body instanceof FormData || init.body instanceof URLSearchParams) body = init.body;
  else if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.body);
  }
  return ctx.app.request(`/api${path}`, { method: init.method ?? "GET", headers, body });
}

async function follow(token: string, id: string) {
  const res = await api(`/v1/accounts/${id}/follow`, { method: "POST", token });
  expect(res.status).toBe(200);
}

async function remoteAccount(username: string, displayName = "") {
  return await ctx.services.db
    .insertInto("accounts")
    .values({
      id: newId(),
      username,
      domain: "remote.example",
      display_name: displayName,
      uri: `https://remote.example/users/${username}`,
      url: `https://remote.example/@${username}`,
      inbox_url: `https://remote.example/users/${username}/inbox`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

describe("GET /api/v1/accounts/:id", () => {
  it("shows an account to anonymous callers", async () => {
    const { account } = await createUserWithToken(ctx, { username: "shown" });
    const res = await api(`/v1/accounts/${account.id}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema("Account", body);
    expect(body).toMatchObject({ id: account.id, username: "shown", acct: "shown" });
  });

  it("answers 404 for unknown, malformed and out-of-range ids", async () => {
    for (const id of ["123456789", "abc", "99999999999999999999", "9223372036854775808"]) {
      const res = await api(`/v1/accounts/${id}`);
      expect(res.status, id).toBe(404);
      expect(await res.json()).toEqual({ error: "Record not found" });
    }
  });

  it("hides unconfirmed local accounts", async () => {
    const { account } = await createUserWithToken(ctx, { confirmed: false });
    expect((await api(`/v1/accounts/${account.id}`)).status).toBe(404);
  });

  it("shows suspended accounts emptied, with suspended: true", async () => {
    const { account, token } = await createUserWithToken(ctx);
    await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token,
      body: { display_name: "Gone soon", note: "bio" },
    });
    await ctx.services.db
      .updateTable("accounts")
      .set({ suspended_at: new Date() })
      .where("id", "=", account.id)
      .execute();
    const res = await api(`/v1/accounts/${account.id}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema("Account", body);
    expect(body).toMatchObject({ suspended: true, display_name: "", note: "", fields: [] });
  });

  it("refuses a token without a read scope with 403", async () => {
    const { account } = await createUserWithToken(ctx);
    const { token } = await createUserWithToken(ctx, { scopes: ["write"] });
    expect((await api(`/v1/accounts/${account.id}`, { token })).status).toBe(403);
  });
});

describe("GET /api/v1/accounts?id[]=", () => {
  it("returns the known accounts in the order asked", async () => {
    const { account: a } = await createUserWithToken(ctx);
    const { account: b } = await createUserWithToken(ctx);
    const res = await api(`/v1/accounts?id[]=${b.id}&id[]=404404&id[]=${a.id}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    for (const entry of body) expectSchema("Account", entry);
    expect(body.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
  });
});

describe("GET /api/v1/accounts/lookup", () => {
  it("finds local accounts by handle, with or without the local domain", async () => {
    const { account } = await createUserWithToken(ctx, { username: "lookme" });
    for (const acct of ["lookme", "@lookme", `lookme@${ctx.config.domain}`, "LookMe"]) {
      const res = await api(`/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`);
      expect(res.status, acct).toBe(200);
      const body = await res.json();
      expectSchema("Account", body);
      expect(body.id).toBe(account.id);
    }
  });

  it("finds known remote accounts and 404s unknown ones", async () => {
    const remote = await remoteAccount("farlook");
    const found = await api("/v1/accounts/lookup?acct=farlook@remote.example");
    expect(found.status).toBe(200);
    expect((await found.json()).acct).toBe("farlook@remote.example");
    expect((await api("/v1/accounts/lookup?acct=nobody")).status).toBe(404);
    expect((await api("/v1/accounts/lookup?acct=a@b@c")).status).toBe(404);
    expect((await api("/v1/accounts/lookup")).status).toBe(400);
    expect(remote.id).toBeTruthy();
  });
});

describe("GET /api/v1/accounts/search", () => {
  it("matches username and display-name prefixes, exact username first", async () => {
    const { token } = await createUserWithToken(ctx, { username: "searcher" });
    const { account: exact } = await createUserWithToken(ctx, { username: "zebra" });
    const { account: longer } = await createUserWithToken(ctx, { username: "zebrafish" });
    const named = await remoteAccount("xyz", "Stripy Zebra");
    const res = await api("/v1/accounts/search?q=zebra", { token });
    expect(res.status).toBe(200);
    const body = await res.json();
    for (const a of body) expectSchema("Account", a);
    const ids = body.map((a: { id: string }) => a.id);
    expect(ids[0]).toBe(exact.id);
    expect(ids).toEqual(expect.arrayContaining([exact.id, longer.id, named.id]));

    const limited = await (await api("/v1/accounts/search?q=zebra&limit=1", { token })).json();
    expect(limited).toHaveLength(1);
    const offset = await (await api("/v1/accounts/search?q=zebra&offset=1", { token })).json();
    expect(offset.map((a: { id: string }) => a.id)).not.toContain(exact.id);
  });

  it("finds a remote handle exactly and filters by following", async () => {
    const { token } = await createUserWithToken(ctx);
    const remote = await remoteAccount("handleonly");
    const res = await api("/v1/accounts/search?q=@handleonly@remote.example&resolve=true", {
      token,
    });
    expect((await res.json())[0]?.id).toBe(remote.id);

    const { account: followed } = await createUserWithToken(ctx, { username: "quokka1" });
    await createUserWithToken(ctx, { username: "quokka2" });
    await follow(token, followed.id);
    const only = await (await api("/v1/accounts/search?q=quokka&following=true", { token })).json();
    expect(only.map((a: { id: string }) => a.id)).toEqual([followed.id]);
  });

  it("needs a user token and treats a blank query as no results", async () => {
    expect((await api("/v1/accounts/search?q=a")).status).toBe(401);
    const { token } = await createUserWithToken(ctx);
    expect(await (await api("/v1/accounts/search?q=", { token })).json()).toEqual([]);
    expect((await api("/v1/accounts/search?q=a&limit=x", { token })).status).toBe(400);
  });
});

describe("PATCH /api/v1/accounts/update_credentials", () => {
  it("updates the profile from JSON and returns a CredentialAccount", async () => {
    const { account, token } = await createUserWithToken(ctx);
    const res = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token,
      body: {
        display_name: "Ada 🐘",
        note: "Line one\nline <two>\n\nSecond para",
        locked: true,
        bot: "1",
        discoverable: false,
        hide_collections: true,
        fields_attributes: [
          { name: "Site", value: "https://example.com" },
          { name: "", value: "" },
          { name: "Pronouns", value: "she/her" },
        ],
        source: { privacy: "unlisted", sensitive: true, language: "de" },
      },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema("CredentialAccount", body);
    expect(body).toMatchObject({
      id: account.id,
      display_name: "Ada 🐘",
      note: "<p>Line one<br />line &lt;two&gt;</p><p>Second para</p>",
      locked: true,
      bot: true,
      discoverable: false,
      hide_collections: true,
      source: {
        privacy: "unlisted",
        sensitive: true,
        language: "de",
        note: "Line one\nline <two>\n\nSecond para",
      },
    });
    expect(body.source.fields.map((f: { name: string }) => f.name)).toEqual(["Site", "Pronouns"]);
    expect(body.fields[0].value).toContain('href="https://example.com"');

    const shown = await (await api(`/v1/accounts/${account.id}`)).json();
    expect(shown.display_name).toBe("Ada 🐘");
    const verify = await (await api("/v1/accounts/verify_credentials", { token })).json();
    expect(verify.source.privacy).toBe("unlisted");
  });

  it("accepts urlencoded forms with Rails' indexed fields_attributes", async () => {
    const { token } = await createUserWithToken(ctx);
    const form = new URLSearchParams();
    form.set("display_name", "Formed");
    form.set("locked", "false");
    form.set("fields_attributes[1][name]", "Second");
    form.set("fields_attributes[1][value]", "2");
    form.set("fields_attributes[0][name]", "First");
    form.set("fields_attributes[0][value]", "1");
    form.set("source[privacy]", "private");
    const res = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token,
      body: form,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.display_name).toBe("Formed");
    expect(body.locked).toBe(false);
    expect(body.source.fields.map((f: { name: string }) => f.name)).toEqual(["First", "Second"]);
    expect(body.source.privacy).toBe("private");
  });

  it("accepts multipart with an avatar file", async () => {
    const { token } = await createUserWithToken(ctx);
    const form = new FormData();
    form.set("note", "multipart bio");
    form.set("fields_attributes[0][name]", "Key");
    form.set("fields_attributes[0][value]", "Value");
    // A real image: the bytes decide the type, and a fake one is refused (test/media-*).
    form.set("avatar", new File([new Uint8Array(await makeImage("png"))], "a.png"));
    const res = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token,
      body: form,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema("CredentialAccount", body);
    expect(body.source.note).toBe("multipart bio");
    expect(body.source.fields).toEqual([{ name: "Key", value: "Value", verified_at: null }]);
    expect(body.avatar).toMatch(/\/system\/accounts\/avatars\/\d+\/\d+\.png$/);
  });

  it("refuses values over Mastodon's limits with 422 details", async () => {
    const { token } = await createUserWithToken(ctx);
    const patch = (body: unknown) =>
      api("/v1/accounts/update_credentials", { method: "PATCH", token, body });
    const long = await patch({ display_name: "x".repeat(31) });
    expect(long.status).toBe(422);
    const details = (await long.json()).details;
    expect(details.display_name[0].error).toBe("ERR_TOO_LONG");
    expect((await patch({ display_name: "🐘".repeat(30) })).status).toBe(200);
    expect((await patch({ note: "x".repeat(501) })).status).toBe(422);
    const five = Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, value: "v" }));
    expect((await patch({ fields_attributes: five })).status).toBe(422);
    expect(
      (await patch({ fields_attributes: [{ name: "n", value: "v".repeat(256) }] })).status,
    ).toBe(422);
    expect((await patch({ fields_attributes: "nope" })).status).toBe(422);
    expect((await patch({ source: { privacy: "direct" } })).status).toBe(422);
    expect((await patch({ source: { language: "english!" } })).status).toBe(422);
    expect((await patch({ display_name: { a: 1 } })).status).toBe(422);
    // Nothing of the refused requests was stored.
    const verify = await (await api("/v1/accounts/verify_credentials", { token })).json();
    expect(verify.display_name).toBe("🐘".repeat(30));
  });

  it("needs write:accounts", async () => {
    const { token } = await createUserWithToken(ctx, { scopes: ["read"] });
    const res = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token,
      body: { display_name: "x" },
    });
    expect(res.status).toBe(403);
  });

  it("accepts pending requests when the account is unlocked", async () => {
    const owner = await createUserWithToken(ctx);
    const fan = await createUserWithToken(ctx);
    const patch = (body: unknown) =>
      api("/v1/accounts/update_credentials", { method: "PATCH", token: owner.token, body });
    await patch({ locked: true });
    await follow(fan.token, owner.account.id);
    const before = await (
      await api("/v1/accounts/verify_credentials", { token: owner.token })
    ).json();
    expect(before.source.follow_requests_count).toBe(1);
    const after = await (await patch({ locked: false })).json();
    expect(after.followers_count).toBe(1);
    expect(after.source.follow_requests_count).toBe(0);
  });
});

describe("followers and following", () => {
  it("pages followers by follow id with Link headers", async () => {
    const star = await createUserWithToken(ctx);
    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = await createUserWithToken(ctx);
      await follow(fan.token, star.account.id);
      fans.push(fan.account.id);
    }
    const first = await api(`/v1/accounts/${star.account.id}/followers?limit=2`);
    expect(first.status).toBe(200);
    const page1 = await first.json();
    for (const a of page1) expectSchema("Account", a);
    // Newest follow first.
    expect(page1.map((a: { id: string }) => a.id)).toEqual([fans[4], fans[3]]);
    const link = first.headers.get("link")!;
    expect(link).toContain('rel="next"');
    expect(link).toContain('rel="prev"');
    const next = new URL(link.match(/<([^>]+)>; rel="next"/)![1]!);
    expect(next.searchParams.get("limit")).toBe("2");
    const page2 = await (
      await api(`/v1/accounts/${star.account.id}/followers${next.search}`)
    ).json();
    expect(page2.map((a: { id: string }) => a.id)).toEqual([fans[2], fans[1]]);
    const prev = new URL(link.match(/<([^>]+)>; rel="prev"/)![1]!);
    const newer = await (
      await api(`/v1/accounts/${star.account.id}/followers${prev.search}`)
    ).json();
    expect(newer).toEqual([]);

    const following = await (await api(`/v1/accounts/${fans[0]}/following`)).json();
    expect(following.map((a: { id: string }) => a.id)).toEqual([star.account.id]);
  });

  it("hides collections from others when the owner asks", async () => {
    const owner = await createUserWithToken(ctx);
    const fan = await createUserWithToken(ctx);
    await follow(fan.token, owner.account.id);
    await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token: owner.token,
      body: { hide_collections: true },
    });
    const url = `/v1/accounts/${owner.account.id}/followers`;
    expect(await (await api(url)).json()).toEqual([]);
    expect(await (await api(url, { token: fan.token })).json()).toEqual([]);
    expect(await (await api(url, { token: owner.token })).json()).toHaveLength(1);
  });
});

describe("profile side lists", () => {
  it("answers featured_tags, identity_proofs and lists with empty arrays", async () => {
    const { account, token } = await createUserWithToken(ctx);
    for (const list of ["featured_tags", "identity_proofs", "lists"]) {
      const res = await api(`/v1/accounts/${account.id}/${list}`, { token });
      expect(res.status, list).toBe(200);
      expect(await res.json()).toEqual([]);
    }
    expect((await api(`/v1/accounts/1/featured_tags`)).status).toBe(404);
    expect((await api(`/v1/accounts/${account.id}/lists`)).status).toBe(401);
  });
});
