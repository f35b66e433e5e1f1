// compiledOnce (src/infra/db/compiled.ts): one build per shape, inputs placed where their
// placeholders sit, and no Date frozen into a query.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compiledOnce } from "../src/infra/db/compiled.ts";
import type { Db } from "../src/infra/db/index.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

describe("compiledOnce", () => {
  it("builds once per shape and runs each call with its own inputs", async () => {
    let builds = 0;
    const numbers = compiledOnce((db: Db, input: { from: number; below?: number }) => {
      builds += 1;
      let q = db
        .selectFrom(sql<{ n: number }>`(select generate_series(1, 10) as n)`.as("s"))
        .select("s.n")
        .where("s.n", ">=", input.from);
      if (input.below !== undefined) q = q.where("s.n", "<", input.below);
      return q.orderBy("s.n");
    });
    const ns = async (input: { from: number; below?: number }) =>
      (await numbers(ctx.services.db, input)).map((r) => Number(r.n));
    expect(await ns({ from: 8 })).toEqual([8, 9, 10]);
    expect(await ns({ from: 3, below: 6 })).toEqual([3, 4, 5]);
    expect(await ns({ from: 9 })).toEqual([9, 10]);
    expect(await ns({ from: 1, below: 3 })).toEqual([1, 2]);
    // Two shapes: with and without `below`.
    expect(builds).toBe(2);
  });

  it("refuses a query that would freeze a Date", async () => {
    const recent = compiledOnce((db: Db, input: { id: string }) =>
      db
        .selectFrom("accounts")
        .select("id")
        .where("id", "=", input.id)
        .where("created_at", ">", new Date()),
    );
    await expect(recent(ctx.services.db, { id: "1" })).rejects.toThrow(/now\(\)/);
  });
});
