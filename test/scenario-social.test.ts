// The social loop as an app drives it, with the masto client against a real socket and the
// workers running: sign up through the API and confirm by the mailed link, sign in with the
// password grant, follow, post with a hashtag and a mention, reply, like, boost, see the
// notifications, search, bookmark, delete and redraft. Raw bodies are checked against
// Mastodon's OpenAPI schema where masto would hide them (it camel-cases).
import { createOAuthAPIClient, createRestAPIClient } from "masto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { linkPath as mailLink, waitForMail } from "./helpers/auth-flow.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import {
  directUser,
  eventually,
  type Json,
  login,
  OOB,
  raw,
  SCOPES,
  type Scenario,
  type SignedIn,
  startScenario,
} from "./helpers/scenario.ts";

let s: Scenario;
let dana: SignedIn;
let bob: SignedIn;
let carol: SignedIn;
// The status the loop revolves around: bob's post mentioning dana with a hashtag.
let post: string;

beforeAll(async () => {
  s = await startScenario();
  bob = await directUser(s, "bob");
  carol = await directUser(s, "carol");
});

afterAll(async () => {
  await s?.close();
});

/** The notification types `who` has, as a set, once `wanted` are all there. */
async function notificationsOf(who: SignedIn, wanted: string[]): Promise<Json[]> {
  return eventually(
    async () => {
      const r = await raw(s, "GET", "/api/v1/notifications", who.token);
      const types = new Set(r.body.map((n: Json) => n.type));
      return wanted.every((t) => types.has(t)) ? (r.body as Json[]) : undefined;
    },
    `notifications ${wanted.join(", ")} for ${who.username}`,
  );
}

describe("the social loop through masto", { timeout: 60_000 }, () => {
  test("sign up through the API, confirm by mail, sign in with the password grant", async () => {
    const oauth = createOAuthAPIClient({ url: s.url });
    const appToken = await oauth.token.create({
      grantType: "client_credentials",
      clientId: s.app.clientId,
      clientSecret: s.app.clientSecret,
      redirectUri: OOB,
      scope: SCOPES,
    });
    const asApp = createRestAPIClient({ url: s.url, accessToken: appToken.accessToken });
    const signup = await asApp.v1.accounts.create({
      username: "dana",
      email: "dana@example.com",
      password: "correct horse battery",
      agreement: true,
      locale: "en",
    });
    expect(signup.accessToken).toBeTruthy();
    // Unconfirmed: the token exists but the account may not act yet.
    const early = await raw(s, "GET", "/api/v1/accounts/verify_credentials", signup.accessToken);
    expect(early.status).toBe(403);

    const mail = await waitForMail(s.ctx, "dana@example.com");
    const confirmed = await fetch(`${s.url}${mailLink(mail, "/auth/confirmation")}`);
    expect(confirmed.status).toBe(200);

    dana = await login(s, "dana@example.com", "correct horse battery");
    const me = await raw(s, "GET", "/api/v1/accounts/verify_credentials", dana.token);
    expect(me.status).toBe(200);
    expectResponseSchema("GET", "/api/v1/accounts/verify_credentials", 200, me.body);
    expect(me.body.username).toBe("dana");
  });

  test("follow: relationships, counts and a follow notification", async () => {
    const rel = await dana.masto.v1.accounts.$select(bob.id).follow();
    expect(rel.following).toBe(true);
    await dana.masto.v1.accounts.$select(carol.id).follow();
    await bob.masto.v1.accounts.$select(dana.id).follow();
    const rels = await raw(
      s,
      "GET",
      `/api/v1/accounts/relationships?id[]=${bob.id}&id[]=${carol.id}`,
      dana.token,
    );
    expectResponseSchema("GET", "/api/v1/accounts/relationships", 200, rels.body);
    expect(rels.body.map((r: Json) => [r.following, r.followed_by])).toEqual([
      [true, true],
      [true, false],
    ]);
    const following = await dana.masto.v1.accounts.$select(dana.id).following.list();
    expect(following.map((a) => a.id).sort()).toEqual([bob.id, carol.id].sort());
    const followers = await raw(s, "GET", `/api/v1/accounts/${bob.id}/followers`, dana.token);
    expectResponseSchema("GET", "/api/v1/accounts/{id}/followers", 200, followers.body);
    expect(followers.body.map((a: Json) => a.id)).toEqual([dana.id]);
    const follow = (await notificationsOf(bob, ["follow"])).find((n) => n.type === "follow");
    expectSchema("Notification", follow);
    expect(follow.account.id).toBe(dana.id);
  });

  test("post with a hashtag and a mention: rendered, fanned out, notified", async () => {
    const status = await bob.masto.v1.statuses.create({
      status: "Hello @dana, welcome to #RoostLoop",
      visibility: "public",
    });
    post = status.id;
    expect(status.mentions.map((m) => m.acct)).toEqual(["dana"]);
    expect(status.tags.map((t) => t.name)).toEqual(["roostloop"]);
    expect(status.content).toContain('class="mention hashtag"');
    expect(status.content).toContain("@<span>dana</span>");
    const got = await raw(s, "GET", `/api/v1/statuses/${post}`, dana.token);
    expectResponseSchema("GET", "/api/v1/statuses/{id}", 200, got.body);

    // Fan-out by the worker: dana follows bob.
    await eventually(async () => {
      const home = await dana.masto.v1.timelines.home.list({ limit: 5 });
      return home.some((x) => x.id === post);
    }, "bob's post in dana's home");
    const mention = (await notificationsOf(dana, ["mention"])).find((n) => n.type === "mention");
    expect(mention.status.id).toBe(post);

    const tagged = await raw(s, "GET", "/api/v1/timelines/tag/roostloop", dana.token);
    expectResponseSchema("GET", "/api/v1/timelines/tag/{hashtag}", 200, tagged.body);
    expect(tagged.body.map((x: Json) => x.id)).toEqual([post]);
  });

  test("reply, like and boost, seen in the thread, the counts and the notifications", async () => {
    const reply = await dana.masto.v1.statuses.create({
      status: "@bob thanks, glad to be here",
      inReplyToId: post,
    });
    expect(reply.inReplyToId).toBe(post);
    expect(reply.inReplyToAccountId).toBe(bob.id);
    const liked = await dana.masto.v1.statuses.$select(post).favourite();
    expect(liked.favourited).toBe(true);
    const boost = await carol.masto.v1.statuses.$select(post).reblog();
    expect(boost.reblog?.id).toBe(post);
    // As on Mastodon, the viewer's flag is on the boosted status, not the wrapper.
    expect(boost.reblog?.reblogged).toBe(true);

    const context = await raw(s, "GET", `/api/v1/statuses/${post}/context`, bob.token);
    expectResponseSchema("GET", "/api/v1/statuses/{id}/context", 200, context.body);
    expect(context.body.descendants.map((x: Json) => x.id)).toEqual([reply.id]);

    const seen = await bob.masto.v1.statuses.$select(post).fetch();
    expect([seen.repliesCount, seen.favouritesCount, seen.reblogsCount]).toEqual([1, 1, 1]);
    const favouritedBy = await bob.masto.v1.statuses.$select(post).favouritedBy.list();
    expect(favouritedBy.map((a) => a.id)).toEqual([dana.id]);
    const rebloggedBy = await bob.masto.v1.statuses.$select(post).rebloggedBy.list();
    expect(rebloggedBy.map((a) => a.id)).toEqual([carol.id]);

    const all = await notificationsOf(bob, ["follow", "mention", "favourite", "reblog"]);
    expectResponseSchema("GET", "/api/v1/notifications", 200, all);
    const byType = Object.fromEntries(all.map((n: Json) => [n.type, n]));
    expect(byType.mention.status.id).toBe(reply.id);
    expect(byType.favourite.account.id).toBe(dana.id);
    expect(byType.reblog.account.id).toBe(carol.id);
    expect(byType.reblog.status.id).toBe(post);

    // Filtering through masto (types[]), and the grouped v2 view of the same.
    const onlyLikes = await bob.masto.v1.notifications.list({ types: ["favourite"] });
    expect(onlyLikes.map((n) => n.type)).toEqual(["favourite"]);
    const grouped = await raw(s, "GET", "/api/v2/notifications", bob.token);
    expectResponseSchema("GET", "/api/v2/notifications", 200, grouped.body);
    const unread = await raw(s, "GET", "/api/v1/notifications/unread_count", bob.token);
    expect(unread.body.count).toBeGreaterThanOrEqual(4);

    // Undo: the counts follow.
    await dana.masto.v1.statuses.$select(post).unfavourite();
    await carol.masto.v1.statuses.$select(post).unreblog();
    const after = await bob.masto.v1.statuses.$select(post).fetch();
    expect([after.favouritesCount, after.reblogsCount]).toEqual([0, 0]);
  });

  test("search: accounts, statuses and hashtags", async () => {
    const accounts = await dana.masto.v2.search.list({ q: "bo", type: "accounts" });
    expect(accounts.accounts.map((a) => a.username)).toContain("bob");
    const statuses = await dana.masto.v2.search.list({ q: "welcome", type: "statuses" });
    expect(statuses.statuses.map((x) => x.id)).toEqual([post]);
    const tags = await dana.masto.v2.search.list({ q: "#roostlo", type: "hashtags" });
    // The tag as first written (Mastodon's display name); a prefix search finds it.
    expect(tags.hashtags.map((t) => t.name)).toContain("RoostLoop");
    const everything = await raw(s, "GET", "/api/v2/search?q=roostloop", dana.token);
    expectResponseSchema("GET", "/api/v2/search", 200, everything.body);
    expect(everything.body.hashtags.map((t: Json) => t.name.toLowerCase())).toEqual(["roostloop"]);
    // Without a type, the word also finds the post that carries it.
    expect(everything.body.statuses.map((x: Json) => x.id)).toEqual([post]);
    // Carol does not follow bob but the post is public, so she finds it too.
    const carols = await carol.masto.v2.search.list({ q: "welcome", type: "statuses" });
    expect(carols.statuses.map((x) => x.id)).toEqual([post]);
  });

  test("bookmarks: add, list with Link paging, remove", async () => {
    const marked = await dana.masto.v1.statuses.$select(post).bookmark();
    expect(marked.bookmarked).toBe(true);
    const list = await raw(s, "GET", "/api/v1/bookmarks", dana.token);
    expectResponseSchema("GET", "/api/v1/bookmarks", 200, list.body);
    expect(list.body.map((x: Json) => x.id)).toEqual([post]);
    expect(list.link).toContain('rel="next"');
    const viaMasto = await dana.masto.v1.bookmarks.list();
    expect(viaMasto.map((x) => x.id)).toEqual([post]);
    await dana.masto.v1.statuses.$select(post).unbookmark();
    expect(await dana.masto.v1.bookmarks.list()).toEqual([]);
  });

  test("delete and redraft: the source comes back, the old status is gone", async () => {
    const draft = await bob.masto.v1.statuses.create({
      status: "A tpyo in #RoostLoop for @dana",
      visibility: "unlisted",
      spoilerText: "typo",
    });
    await eventually(async () => {
      const home = await dana.masto.v1.timelines.home.list({ limit: 5 });
      return home.some((x) => x.id === draft.id);
    }, "the draft in dana's home");
    const removed = await raw(s, "DELETE", `/api/v1/statuses/${draft.id}`, bob.token);
    expect(removed.status).toBe(200);
    expectResponseSchema("DELETE", "/api/v1/statuses/{id}", 200, removed.body);
    expect(removed.body.text).toBe("A tpyo in #RoostLoop for @dana");
    expect(removed.body.spoiler_text).toBe("typo");
    expect((await raw(s, "GET", `/api/v1/statuses/${draft.id}`, bob.token)).status).toBe(404);

    const redraft = await bob.masto.v1.statuses.create({
      status: removed.body.text.replace("tpyo", "typo"),
      visibility: removed.body.visibility,
      spoilerText: removed.body.spoiler_text,
    });
    expect(redraft.id).not.toBe(draft.id);
    expect(redraft.visibility).toBe("unlisted");
    expect(redraft.tags.map((t) => t.name)).toEqual(["roostloop"]);
    await eventually(async () => {
      const home = await dana.masto.v1.timelines.home.list({ limit: 5 });
      const ids = home.map((x) => x.id);
      return ids.includes(redraft.id) && !ids.includes(draft.id);
    }, "the redraft (and not the draft) in dana's home");
  });
});
