// Two live Roost processes behind TLS that find each other by handle (WebFinger over https),
// as users do: follow (open and locked), a post reaching the follower's home timeline, reply
// and mention notifying, like, boost, edit, delete, unfollow and block. One pair of
// instances serves the whole scenario; each step builds on the ones before it. Runs on the
// backend the suite runs on (embedded, or PostgreSQL + Redis with DATABASE_URL/REDIS_URL).
import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendName } from "./helpers/backend.ts";
import {
  api,
  eventually,
  type FederationPair,
  federationPair,
  type PairInstance,
} from "./helpers/federation-pair.ts";
import { makeImage } from "./helpers/media.ts";
import { canMapHosts, httpsRequest } from "./helpers/tls.ts";

interface Account {
  id: string;
  acct: string;
  locked: boolean;
  followers_count: number;
}
interface Status {
  id: string;
  uri: string;
  content: string;
  edited_at: string | null;
  favourites_count: number;
  reblogs_count: number;
  reblog: Status | null;
  in_reply_to_id: string | null;
  account: Account;
  media_attachments: Media[];
}
interface Media {
  id: string;
  type: string;
  description: string | null;
  blurhash: string | null;
  meta: { focus?: { x: number; y: number }; original?: { width: number; height: number } };
}
interface Notification {
  type: string;
  account: Account;
  status: Status | null;
}
interface Relationship {
  id: string;
  following: boolean;
  requested: boolean;
  followed_by: boolean;
  blocked_by: boolean;
}

// Handle lookup needs hostnames, mapped in /etc/hosts (root in CI).
describe.skipIf(!canMapHosts())(`federation by handle (${backendName})`, () => {
  let pair: FederationPair;
  let a: PairInstance;
  let b: PairInstance;
  /** Handles as seen from the other instance. */
  let bobHandle: string;
  let carolHandle: string;
  let aliceHandle: string;
  /** Ids of remote accounts in the other instance's database. */
  let bobOnA: string;
  let carolOnA: string;
  let aliceOnB: string;
  /** Bob's post: its id on B and the id of its copy on A. */
  let post: { id: string; uri: string; copyOnA: string };
  /** Carol's post mentioning alice, on B. */
  let carolPost: { id: string; uri: string };

  beforeAll(async () => {
    pair = federationPair();
    await pair.start(
      [{ username: "alice" }],
      [{ username: "bob" }, { username: "carol", locked: true }],
    );
    ({ a, b } = pair);
    bobHandle = `bob@${b.host.authority}`;
    carolHandle = `carol@${b.host.authority}`;
    aliceHandle = `alice@${a.host.authority}`;
  }, 120_000);

  afterAll(async () => {
    await pair?.stop();
  });

  const relationship = async (inst: PairInstance, user: string, id: string) =>
    (await api<Relationship[]>(inst, user, `/api/v1/accounts/relationships?id[]=${id}`)).body[0];
  const account = async (inst: PairInstance, user: string, id: string) =>
    (await api<Account>(inst, user, `/api/v1/accounts/${id}`)).body;
  const notifications = async (inst: PairInstance, user: string) =>
    (await api<Notification[]>(inst, user, "/api/v1/notifications")).body;

  it("finds remote accounts by handle through WebFinger over https", async () => {
    const found = await api<{ accounts: Account[] }>(
      a,
      "alice",
      `/api/v2/search?q=${encodeURIComponent(`@${bobHandle}`)}&resolve=true&type=accounts`,
    );
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.accounts.map((x) => x.acct)).toEqual([bobHandle]);
    bobOnA = found.body.accounts[0]!.id;

    // Known now: the plain lookup answers without resolving.
    const lookedUp = await api<Account>(a, "alice", `/api/v1/accounts/lookup?acct=${bobHandle}`);
    expect(lookedUp.status).toBe(200);
    expect(lookedUp.body.id).toBe(bobOnA);

    const carol = await api<{ accounts: Account[] }>(
      a,
      "alice",
      `/api/v2/search?q=${encodeURIComponent(carolHandle)}&resolve=true&type=accounts`,
    );
    expect(carol.body.accounts.map((x) => [x.acct, x.locked])).toEqual([[carolHandle, true]]);
    carolOnA = carol.body.accounts[0]!.id;
  }, 30_000);

  it("follows an open account: B accepts and counts the follower", async () => {
    const res = await api<Relationship>(a, "alice", `/api/v1/accounts/${bobOnA}/follow`, {
      method: "POST",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(pair, "alice follows bob", async () => {
      return (await relationship(a, "alice", bobOnA))?.following;
    });
    const bob = await account(b, "bob", b.users.bob!.id);
    expect(bob.followers_count).toBe(1);
    const followers = await api<Account[]>(
      b,
      "bob",
      `/api/v1/accounts/${b.users.bob!.id}/followers`,
    );
    expect(followers.body.map((x) => x.acct)).toEqual([aliceHandle]);
    aliceOnB = followers.body[0]!.id;
    await eventually(pair, "follow notification on B", async () =>
      (await notifications(b, "bob")).some(
        (n) => n.type === "follow" && n.account.acct === aliceHandle,
      ),
    );
  }, 30_000);

  it("follows a locked account: pending until carol authorizes", async () => {
    const res = await api<Relationship>(a, "alice", `/api/v1/accounts/${carolOnA}/follow`, {
      method: "POST",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.requested).toBe(true);
    const request = await eventually(pair, "carol sees the request", async () => {
      const list = await api<Account[]>(b, "carol", "/api/v1/follow_requests");
      return list.body.find((x) => x.acct === aliceHandle);
    });
    const rel = await relationship(a, "alice", carolOnA);
    expect(rel).toMatchObject({ following: false, requested: true });

    const ok = await api(b, "carol", `/api/v1/follow_requests/${request.id}/authorize`, {
      method: "POST",
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await eventually(pair, "alice follows carol", async () => {
      const r = await relationship(a, "alice", carolOnA);
      return r?.following === true && r.requested === false;
    });
  }, 30_000);

  it("a post reaches the follower's home timeline", async () => {
    const posted = await api<Status>(b, "bob", "/api/v1/statuses", {
      method: "POST",
      body: { status: "Hello from the other side", visibility: "public" },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const copy = await eventually(pair, "bob's post in alice's home", async () => {
      const home = await api<Status[]>(a, "alice", "/api/v1/timelines/home");
      return home.body.find((s) => s.uri === posted.body.uri);
    });
    expect(copy.account.acct).toBe(bobHandle);
    expect(copy.content).toContain("Hello from the other side");
    post = { id: posted.body.id, uri: posted.body.uri, copyOnA: copy.id };
  }, 30_000);

  it("a picture arrives with its alt text, size, blurhash and focus point", async () => {
    const form = new FormData();
    const jpeg = await makeImage("jpeg", { width: 320, height: 240 });
    form.append("file", new Blob([new Uint8Array(jpeg)], { type: "image/jpeg" }), "p.jpg");
    form.append("description", "A test pattern");
    form.append("focus", "0.25,-0.5");
    const media = await api<Media>(b, "bob", "/api/v1/media", { method: "POST", body: form });
    expect(media.status, JSON.stringify(media.body)).toBe(200);
    expect(media.body.blurhash).toEqual(expect.any(String));
    const posted = await api<Status>(b, "bob", "/api/v1/statuses", {
      method: "POST",
      body: { status: "A picture", media_ids: [media.body.id] },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const copy = await eventually(pair, "bob's picture in alice's home", async () => {
      const home = await api<Status[]>(a, "alice", "/api/v1/timelines/home");
      return home.body.find((s) => s.uri === posted.body.uri);
    });
    expect(copy.media_attachments).toHaveLength(1);
    const shown = copy.media_attachments[0]!;
    expect(shown.type).toBe("image");
    expect(shown.description).toBe("A test pattern");
    expect(shown.blurhash).toBe(media.body.blurhash);
    expect(shown.meta.focus).toEqual({ x: 0.25, y: -0.5 });
    expect(shown.meta.original).toMatchObject({ width: 320, height: 240 });
  }, 30_000);

  it("a reply notifies the remote author and threads under the post", async () => {
    const reply = await api<Status>(a, "alice", "/api/v1/statuses", {
      method: "POST",
      body: { status: `@${bobHandle} welcome!`, in_reply_to_id: post.copyOnA },
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const note = await eventually(pair, "bob notified of the reply", async () => {
      const list = await notifications(b, "bob");
      return list.find((n) => n.type === "mention" && n.status?.uri === reply.body.uri);
    });
    expect(note.account.acct).toBe(aliceHandle);
    expect(note.status?.in_reply_to_id).toBe(post.id);
    const context = await api<{ descendants: Status[] }>(
      b,
      "bob",
      `/api/v1/statuses/${post.id}/context`,
    );
    expect(context.body.descendants.map((s) => s.uri)).toContain(reply.body.uri);
  }, 30_000);

  it("a mention by handle resolves the remote account and notifies it", async () => {
    const posted = await api<Status>(b, "carol", "/api/v1/statuses", {
      method: "POST",
      body: { status: `Hi @${aliceHandle}, thanks for following`, visibility: "public" },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const note = await eventually(pair, "alice notified of the mention", async () => {
      const list = await notifications(a, "alice");
      return list.find((n) => n.type === "mention" && n.status?.uri === posted.body.uri);
    });
    expect(note.account.acct).toBe(carolHandle);
    carolPost = { id: posted.body.id, uri: posted.body.uri };
  }, 30_000);

  // Roost signs activities with LD signatures too, which spare the HTTP signature check; a
  // sender that does not (and knocks with RFC 9421 first, as Fedify does) is verified on the
  // URL it signed: https at the proxy, while the process behind it is reached over http.
  it("verifies an RFC 9421 signature made for the public https URL", async () => {
    const alice = a.users.alice!;
    const actor = `${a.host.publicUrl}/users/alice`;
    const like = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${actor}#likes/rfc9421`,
      type: "Like",
      actor,
      object: carolPost.uri,
    };
    const unsigned = new Request(`${b.host.publicUrl}/inbox`, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(like),
    });
    const signed = await signRequest(unsigned, alice.rsaKey, new URL(`${actor}#main-key`), {
      spec: "rfc9421",
    });
    const res = await httpsRequest(
      signed.url,
      { method: "POST", headers: signed.headers, body: JSON.stringify(like) },
      pair.caFile,
    );
    expect(res.status, res.body).toBe(202);
    await eventually(pair, "carol's post favourited", async () => {
      const st = await api<Status>(b, "carol", `/api/v1/statuses/${carolPost.id}`);
      return st.body.favourites_count === 1;
    });
  }, 30_000);

  it("a like arrives: favourites_count and a notification", async () => {
    const res = await api(a, "alice", `/api/v1/statuses/${post.copyOnA}/favourite`, {
      method: "POST",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(pair, "bob's post favourited on B", async () => {
      const s = await api<Status>(b, "bob", `/api/v1/statuses/${post.id}`);
      return s.body.favourites_count === 1;
    });
    // The notification is made by a worker job after the count's commit: wait for it too.
    await eventually(pair, "favourite notification on B", async () =>
      (await notifications(b, "bob")).some(
        (n) => n.type === "favourite" && n.account.acct === aliceHandle && n.status?.id === post.id,
      ),
    );
  }, 30_000);

  it("a boost arrives: reblogs_count and a notification", async () => {
    const res = await api(a, "alice", `/api/v1/statuses/${post.copyOnA}/reblog`, {
      method: "POST",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(pair, "bob's post boosted on B", async () => {
      const s = await api<Status>(b, "bob", `/api/v1/statuses/${post.id}`);
      return s.body.reblogs_count === 1;
    });
    // The notification is made by a worker job after the count's commit: wait for it too.
    await eventually(pair, "reblog notification on B", async () =>
      (await notifications(b, "bob")).some(
        (n) => n.type === "reblog" && n.account.acct === aliceHandle && n.status?.id === post.id,
      ),
    );
  }, 30_000);

  it("an edit arrives: new content and edited_at", async () => {
    const res = await api<Status>(b, "bob", `/api/v1/statuses/${post.id}`, {
      method: "PUT",
      body: { status: "Hello from the other side, edited" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const copy = await eventually(pair, "the edit on A", async () => {
      const s = await api<Status>(a, "alice", `/api/v1/statuses/${post.copyOnA}`);
      return s.body.edited_at ? s.body : undefined;
    });
    expect(copy.content).toContain("edited");
  }, 30_000);

  it("a delete removes the remote copy", async () => {
    const res = await api(b, "bob", `/api/v1/statuses/${post.id}`, { method: "DELETE" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(pair, "the copy gone on A", async () => {
      const s = await api(a, "alice", `/api/v1/statuses/${post.copyOnA}`);
      return s.status === 404;
    });
  }, 30_000);

  it("an unfollow reaches the locked account", async () => {
    const res = await api(a, "alice", `/api/v1/accounts/${carolOnA}/unfollow`, {
      method: "POST",
    });
    expect(res.status).toBe(200);
    await eventually(pair, "carol loses her follower", async () => {
      return (await account(b, "carol", b.users.carol!.id)).followers_count === 0;
    });
  }, 30_000);

  it("a block makes the blocked side drop its follow", async () => {
    const res = await api(b, "bob", `/api/v1/accounts/${aliceOnB}/block`, { method: "POST" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Bob's side drops alice at once; alice's side when the Block arrives.
    expect((await account(b, "bob", b.users.bob!.id)).followers_count).toBe(0);
    await eventually(pair, "alice no longer follows bob", async () => {
      const r = await relationship(a, "alice", bobOnA);
      return r?.following === false;
    });
  }, 30_000);
});
