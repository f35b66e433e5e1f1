// The account and relationship endpoints as a real app drives them: the masto (v7) client
// over a real socket, following Link headers and sending multipart profile updates.
import { createRestAPIClient } from "masto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createUserWithToken } from "./helpers/auth.ts";
import { type ServedApp, serveApp } from "./helpers/serve.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

describe("masto client: accounts and relationships", () => {
  let ctx: TestContext;
  let served: ServedApp;
  let url: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    served = await serveApp(ctx.app.fetch);
    url = served.url;
  });
  afterAll(async () => {
    await served?.close();
    await ctx?.close();
  });

  test("profile, follows, requests and paging", async () => {
    const owner = await createUserWithToken(ctx, { username: "mastoowner" });
    const me = createRestAPIClient({ url, accessToken: owner.token });
    const updated = await me.v1.accounts.updateCredentials({
      displayName: "Masto Owner",
      locked: true,
      fieldsAttributes: [{ name: "Home", value: "https://example.com" }],
    });
    expect(updated.displayName).toBe("Masto Owner");
    expect(updated.source.fields).toEqual([
      { name: "Home", value: "https://example.com", verifiedAt: null },
    ]);

    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = await createUserWithToken(ctx);
      const client = createRestAPIClient({ url, accessToken: fan.token });
      const rel = await client.v1.accounts.$select(owner.account.id).follow({ reblogs: false });
      expect(rel.requested).toBe(true);
      fans.push(fan.account.id);
    }

    // Page the requests two at a time through the Link headers.
    const seen: string[] = [];
    for await (const page of me.v1.followRequests.list({ limit: 2 })) {
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((a) => a.id));
    }
    expect(seen).toEqual([...fans].reverse());

    for (const id of fans) await me.v1.followRequests.$select(id).authorize();
    const followers: string[] = [];
    for await (const page of me.v1.accounts
      .$select(owner.account.id)
      .followers.list({ limit: 2 })) {
      followers.push(...page.map((a) => a.id));
    }
    expect(followers.sort()).toEqual([...fans].sort());

    const [rel] = await me.v1.accounts.relationships.fetch({ id: [fans[0]!] });
    expect(rel).toMatchObject({ followedBy: true, following: false });
    const found = await me.v1.accounts.lookup({ acct: "mastoowner" });
    expect(found.followersCount).toBe(5);

    const blocked = await me.v1.accounts.$select(fans[0]!).block();
    expect(blocked.blocking).toBe(true);
    const muted = await me.v1.accounts.$select(fans[1]!).mute({ duration: 60 });
    expect(muted.muting).toBe(true);
    // masto's Relationship type predates muting_expires_at; the field still arrives camel-cased.
    expect((muted as { mutingExpiresAt?: string }).mutingExpiresAt).toBeTruthy();
    expect((await me.v1.accounts.verifyCredentials()).followersCount).toBe(4);
  });
});
