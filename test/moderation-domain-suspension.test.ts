// A domain suspension between two live Roost instances behind TLS: A's admin suspends B's
// domain through the admin API; the follows between the two servers' users are gone on A;
// activities B's users then send are refused at A's inbox (403) and make nothing; once the
// block is lifted, B's activities get in again. One test: the pair takes a while to start.
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
import { canMapHosts, httpsRequest } from "./helpers/tls.ts";

const AS = "https://www.w3.org/ns/activitystreams";

interface Account {
  id: string;
  acct: string;
}
interface Status {
  id: string;
  uri: string;
  content: string;
}

describe.skipIf(!canMapHosts())(`domain suspension across instances (${backendName})`, () => {
  let pair: FederationPair;
  let a: PairInstance;
  let b: PairInstance;

  beforeAll(async () => {
    pair = federationPair();
    await pair.start(
      [{ username: "alice" }, { username: "ada", role: "admin" }],
      [{ username: "bob" }, { username: "carl" }],
    );
    ({ a, b } = pair);
  }, 120_000);
  afterAll(async () => {
    await pair?.stop();
  });

  const resolve = async (on: PairInstance, user: string, handle: string) => {
    const found = await api<{ accounts: Account[] }>(
      on,
      user,
      `/api/v2/search?q=${encodeURIComponent(`@${handle}`)}&resolve=true&type=accounts`,
    );
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    return found.body.accounts[0]!;
  };
  const follow = async (on: PairInstance, user: string, id: string) => {
    const res = await api(on, user, `/api/v1/accounts/${id}/follow`, { method: "POST" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(pair, `${user} follows ${id}`, async () => {
      const rel = await api<{ following: boolean }[]>(
        on,
        user,
        `/api/v1/accounts/relationships?id[]=${id}`,
      );
      return rel.body[0]?.following;
    });
  };
  const listOf = async (path: string) => (await api<Account[]>(a, "alice", path)).body;

  /** An activity signed by bob's own key, sent by hand to A's shared inbox. */
  const sendAsBob = async (activity: Record<string, unknown>) => {
    const actor = `${b.host.publicUrl}/users/bob`;
    const body = JSON.stringify({ "@context": AS, actor, ...activity });
    const signed = await signRequest(
      new Request(`${a.host.publicUrl}/inbox`, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body,
      }),
      b.users.bob!.rsaKey,
      new URL(`${actor}#main-key`),
    );
    return httpsRequest(signed.url, { method: "POST", headers: signed.headers, body }, pair.caFile);
  };

  it("cuts follows, refuses B's activities while it lasts, and lets them in once lifted", async () => {
    const alice = a.users.alice!;
    const aliceOnB = await resolve(b, "bob", `alice@${a.host.authority}`);
    const bobOnA = await resolve(a, "alice", `bob@${b.host.authority}`);
    const domain = bobOnA.acct.split("@")[1]!;
    await follow(b, "bob", aliceOnB.id);
    await follow(a, "alice", bobOnA.id);
    expect((await listOf(`/api/v1/accounts/${alice.id}/followers`)).map((x) => x.id)).toEqual([
      bobOnA.id,
    ]);

    const block = await api<{ id: string }>(a, "ada", "/api/v1/admin/domain_blocks", {
      method: "POST",
      body: { domain, severity: "suspend" },
    });
    expect(block.status, JSON.stringify(block.body)).toBe(200);

    // Follows both ways are gone on A.
    await eventually(pair, "follows with B gone on A", async () => {
      const followers = await listOf(`/api/v1/accounts/${alice.id}/followers`);
      const following = await listOf(`/api/v1/accounts/${alice.id}/following`);
      return followers.length === 0 && following.length === 0;
    });

    // B's activities are refused, signed by whom they may be, and create nothing.
    const noteId = `${b.host.publicUrl}/users/bob/statuses/by-hand-blocked`;
    const created = await sendAsBob({
      id: `${noteId}/activity`,
      type: "Create",
      to: [`${AS}#Public`],
      object: {
        id: noteId,
        type: "Note",
        attributedTo: `${b.host.publicUrl}/users/bob`,
        content: "<p>while blocked</p>",
        to: [`${AS}#Public`],
        cc: [`${a.host.publicUrl}/users/alice`],
        tag: [{ type: "Mention", href: `${a.host.publicUrl}/users/alice` }],
        published: new Date().toISOString(),
      },
    });
    expect(created.status, created.body).toBe(403);
    const followed = await sendAsBob({
      id: `${b.host.publicUrl}/users/bob#follows/while-blocked`,
      type: "Follow",
      object: `${a.host.publicUrl}/users/alice`,
    });
    expect(followed.status, followed.body).toBe(403);
    // carl (on B) follows alice through B's own outbox: refused as well.
    const carlsView = await resolve(b, "carl", `alice@${a.host.authority}`);
    const carlFollow = await api(b, "carl", `/api/v1/accounts/${carlsView.id}/follow`, {
      method: "POST",
    });
    expect(carlFollow.status).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await listOf(`/api/v1/accounts/${alice.id}/followers`)).toEqual([]);
    const mentions = await api<{ type: string }[]>(
      a,
      "alice",
      "/api/v1/notifications?types[]=mention",
    );
    expect(mentions.body).toEqual([]);
    const requests = await api<Account[]>(a, "alice", "/api/v1/follow_requests");
    expect(requests.body).toEqual([]);

    // Lifted: B's activities are taken again.
    const lifted = await api(a, "ada", `/api/v1/admin/domain_blocks/${block.body.id}`, {
      method: "DELETE",
    });
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
    const again = await sendAsBob({
      id: `${b.host.publicUrl}/users/bob#follows/after-lift`,
      type: "Follow",
      object: `${a.host.publicUrl}/users/alice`,
    });
    expect(again.status, again.body).toBeLessThan(300);
    await eventually(pair, "bob's Follow taken on A after the lift", async () => {
      const followers = await listOf(`/api/v1/accounts/${alice.id}/followers`);
      return followers.some((x) => x.id === bobOnA.id);
    });
    // And a real exchange: alice follows bob again (B's Accept gets in), then his post arrives.
    await follow(a, "alice", bobOnA.id);
    const post = await api<Status>(b, "bob", "/api/v1/statuses", {
      method: "POST",
      body: { status: "back in touch", visibility: "public" },
    });
    expect(post.status).toBe(200);
    await eventually(pair, "bob's post in alice's home on A", async () => {
      const home = await api<Status[]>(a, "alice", "/api/v1/timelines/home");
      return home.body.some((s) => s.uri === post.body.uri);
    });
  }, 180_000);
});
