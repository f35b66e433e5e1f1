// Moderation between two live Roost instances behind TLS: a report filed on B and forwarded
// reaches A's moderators as a report from B's instance actor (not from the reporter), and
// suspending an account on A deletes it and its posts on B; unsuspending brings it back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendName } from "./helpers/backend.ts";
import {
  api,
  eventually,
  type FederationPair,
  federationPair,
  type PairInstance,
} from "./helpers/federation-pair.ts";
import { canMapHosts } from "./helpers/tls.ts";

interface Account {
  id: string;
  acct: string;
  username: string;
}
interface Status {
  id: string;
  uri: string;
  account: Account;
}
interface AdminReport {
  id: string;
  comment: string;
  account: { username: string; domain: string | null };
  target_account: { id: string };
  statuses: { id: string }[];
}

describe.skipIf(!canMapHosts())(`moderation across instances (${backendName})`, () => {
  let pair: FederationPair;
  let a: PairInstance;
  let b: PairInstance;
  let aliceOnB: string;
  /** Alice's post on A, and its copy on B. */
  let post: { id: string; uri: string; copyOnB: string };

  beforeAll(async () => {
    pair = federationPair();
    await pair.start(
      [{ username: "alice" }, { username: "moira", role: "moderator" }],
      [{ username: "bob" }],
    );
    ({ a, b } = pair);
  }, 120_000);
  afterAll(async () => {
    await pair?.stop();
  });

  it("B follows alice and receives her post", async () => {
    const handle = `alice@${a.host.authority}`;
    const found = await api<{ accounts: Account[] }>(
      b,
      "bob",
      `/api/v2/search?q=${encodeURIComponent(`@${handle}`)}&resolve=true&type=accounts`,
    );
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    aliceOnB = found.body.accounts[0]!.id;
    const follow = await api(b, "bob", `/api/v1/accounts/${aliceOnB}/follow`, { method: "POST" });
    expect(follow.status).toBe(200);
    await eventually(pair, "bob follows alice", async () => {
      const rel = await api<{ following: boolean }[]>(
        b,
        "bob",
        `/api/v1/accounts/relationships?id[]=${aliceOnB}`,
      );
      return rel.body[0]?.following;
    });
    const created = await api<Status>(a, "alice", "/api/v1/statuses", {
      method: "POST",
      body: { status: "something to report", visibility: "public" },
    });
    expect(created.status).toBe(200);
    const copy = await eventually(pair, "alice's post on B", async () => {
      const home = await api<Status[]>(b, "bob", "/api/v1/timelines/home");
      return home.body.find((s) => s.uri === created.body.uri);
    });
    post = { id: created.body.id, uri: created.body.uri, copyOnB: copy.id };
  }, 60_000);

  it("a forwarded report reaches A as a report from B's server", async () => {
    const res = await api<{ forwarded: boolean }>(b, "bob", "/api/v1/reports", {
      method: "POST",
      body: {
        account_id: aliceOnB,
        status_ids: [post.copyOnB],
        comment: "reported on B",
        forward: true,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.forwarded).toBe(true);
    const alice = a.users.alice!;
    const report = await eventually(pair, "the Flag stored on A", async () => {
      const list = await api<AdminReport[]>(a, "moira", "/api/v1/admin/reports");
      return list.body.find((r) => r.comment === "reported on B");
    });
    expect(report.target_account.id).toBe(alice.id);
    expect(report.statuses.map((s) => s.id)).toEqual([post.id]);
    expect(report.account.domain).toBe(b.host.authority);
    expect(report.account.username).not.toBe("bob");
  }, 60_000);

  it("suspending alice on A deletes her and her posts on B; unsuspending restores her", async () => {
    const alice = a.users.alice!;
    const res = await api(a, "moira", `/api/v1/admin/accounts/${alice.id}/action`, {
      method: "POST",
      body: { type: "suspend" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(pair, "alice gone from B", async () => {
      const status = await api(b, "bob", `/api/v1/statuses/${post.copyOnB}`);
      const account = await api(b, "bob", `/api/v1/accounts/${aliceOnB}`);
      return status.status === 404 && account.status === 404;
    });

    const back = await api<{ suspended: boolean }>(
      a,
      "moira",
      `/api/v1/admin/accounts/${alice.id}/unsuspend`,
      { method: "POST" },
    );
    expect(back.body.suspended).toBe(false);
    const handle = `alice@${a.host.authority}`;
    await eventually(pair, "alice known on B again after the Update", async () => {
      const lookup = await api<Account>(b, "bob", `/api/v1/accounts/lookup?acct=${handle}`);
      return lookup.status === 200 ? lookup.body : undefined;
    });
  }, 90_000);
});
