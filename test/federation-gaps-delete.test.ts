// A remote actor's Delete of itself takes its follows off the counters of local accounts,
// as staff deletion does: the local account it followed loses a follower, the local account
// that followed it follows one fewer. The Delete is signed and delivered through the real
// HTTP inbox and handled by the worker, so the counters are polled for on the API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupRemote } from "../federation/lookup.ts";
import { newId } from "../src/infra/ids.ts";
import { insertFollow } from "../src/relationships/follow-service.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { postToInbox } from "./helpers/inbox-handlers.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
import { until } from "./helpers/queue-backends.ts";
import { type RemoteHosts, startRemoteHosts } from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";

let ctx: TestContext;
let hosts: RemoteHosts;

beforeAll(async () => {
  hosts = await startRemoteHosts(1);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

/** A follow stored as an accepted Follow would be, counters included. */
const follow = (from: string, to: string) =>
  insertFollow(ctx.services.db, {
    ...{ id: newId(), account_id: from, target_account_id: to, uri: null },
    ...{ show_reblogs: true, notify: false, languages: null },
  });

async function counts(id: string, token: string) {
  const res = await ctx.app.request(`/api/v1/accounts/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { followers_count: number; following_count: number };
  expectResponseSchema("GET", "/api/v1/accounts/{id}", 200, body);
  return { followers: body.followers_count, following: body.following_count };
}

describe("remote actor Delete", () => {
  it("lowers the follower and following counts of the local accounts it was linked to", async () => {
    const followed = await createUserWithToken(ctx, { username: "followed" });
    const fan = await createUserWithToken(ctx, { username: "fan" });
    const gone = await hosts.actor(hosts.origins[0]!, "gone");
    const remote = (await lookupRemote(ctx.services, gone.id))!.account!;
    // The remote account follows `followed`; `fan` follows the remote account.
    await follow(remote.id, followed.account.id);
    await follow(fan.account.id, remote.id);
    expect(await counts(followed.account.id, followed.token)).toEqual({
      followers: 1,
      following: 0,
    });
    expect(await counts(fan.account.id, fan.token)).toEqual({ followers: 0, following: 1 });

    await postToInbox(
      ctx,
      ORIGIN,
      { "@context": AS, id: `${gone.id}#delete`, type: "Delete", actor: gone.id, object: gone.id },
      gone,
    );
    await until(async () => {
      const row = await ctx.services.db
        .selectFrom("accounts")
        .select("id")
        .where("uri", "=", gone.id)
        .executeTakeFirst();
      return row === undefined;
    }, 60_000);
    expect(await counts(followed.account.id, followed.token)).toEqual({
      followers: 0,
      following: 0,
    });
    expect(await counts(fan.account.id, fan.token)).toEqual({ followers: 0, following: 0 });
  }, 120_000);
});
