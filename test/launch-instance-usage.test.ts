// The instance's usage numbers that apps show at launch (v1 stats, v2 usage, NodeInfo,
// peers, weekly activity) come from the data, on a backend of their own so that the counts
// are exact. (Split from launch-endpoints.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

describe("instance usage", () => {
  let fresh: TestContext;
  beforeAll(async () => {
    fresh = await createTestContext();
  });
  afterAll(async () => {
    await fresh?.close();
  });

  test("users, posts, peers and weekly activity come from the data", async () => {
    const u1 = await createUserWithToken(fresh, { username: "one" });
    await createUserWithToken(fresh, { username: "two" });
    // Unconfirmed users are not counted.
    await createUserWithToken(fresh, { username: "three", confirmed: false });
    const db = fresh.services.db;
    await db
      .updateTable("users")
      .set({ last_sign_in_at: new Date() })
      .where("id", "=", u1.user.id)
      .execute();
    for (const domain of ["b.example", "a.example", "b.example"]) {
      await db
        .insertInto("accounts")
        .values({
          id: newId(),
          username: `u${newId()}`,
          domain,
          uri: `https://${domain}/users/${newId()}`,
        })
        .execute();
    }
    for (let i = 0; i < 3; i++) {
      const id = newId();
      await db
        .insertInto("statuses")
        .values({
          id,
          uri: `${fresh.config.publicUrl}/s/${id}`,
          account_id: u1.account.id,
          local: true,
          visibility: "public",
        })
        .execute();
    }
    const get = async (path: string) => (await fresh.app.request(path)).json() as Promise<Json>;
    const v1 = await get("/api/v1/instance");
    expect(v1.stats).toEqual({ user_count: 2, status_count: 3, domain_count: 2 });
    expect((await get("/api/v2/instance")).usage).toEqual({ users: { active_month: 1 } });
    expect((await get("/nodeinfo/2.1")).usage).toEqual({
      users: { total: 2, activeMonth: 1, activeHalfyear: 1 },
      localPosts: 3,
    });
    expect(await get("/api/v1/instance/peers")).toEqual(["a.example", "b.example"]);
    const activity = await get("/api/v1/instance/activity");
    expectResponseSchema("GET", "/api/v1/instance/activity", 200, activity);
    expect(activity[0]).toMatchObject({ statuses: "3", logins: "1", registrations: "3" });
    expect(activity[1]).toMatchObject({ statuses: "0", logins: "0", registrations: "0" });
  });
});
