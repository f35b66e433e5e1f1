// The home timeline serves statuses it rendered before from kept JSON
// (src/statuses/fragments.ts). These check that a page served that way is exactly the page
// rendered afresh, for each viewer with their own flags, and that any change to a status or
// its author shows on the next page.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import { fragmentsOf } from "../src/statuses/fragments.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
type User = Awaited<ReturnType<typeof createUserWithToken>>;
let reader: User;
let carol: User;
let alice: User;
let bob: User;

beforeAll(async () => {
  ctx = await createTestContext();
  reader = await createUserWithToken(ctx);
  carol = await createUserWithToken(ctx);
  alice = await createUserWithToken(ctx);
  bob = await createUserWithToken(ctx);
  // Bob's media is sensitive to everyone but him.
  await ctx.services.db
    .updateTable("accounts")
    .set({ sensitized_at: new Date() })
    .where("id", "=", bob.account.id)
    .execute();
});
afterAll(async () => {
  await ctx?.close();
});

async function toHome(viewers: AccountRow[], statusIds: string[]) {
  const rows = viewers.flatMap((v) =>
    statusIds.map((status_id) => ({ account_id: v.id, status_id, reblog_of_id: null })),
  );
  await ctx.services.db.insertInto("home_feed").values(rows).execute();
}

async function postAs(user: User, body: Record<string, unknown>): Promise<string> {
  const res = await call(ctx, "POST", "/api/v1/statuses", user.token, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

async function home(user: User) {
  const res = await call(ctx, "GET", "/api/v1/timelines/home", user.token);
  expect(res.status).toBe(200);
  return res.body as { id: string; [key: string]: unknown }[];
}

async function single(user: User, id: string) {
  return (await call(ctx, "GET", `/api/v1/statuses/${id}`, user.token)).body;
}

describe("home timeline from kept JSON", () => {
  let plain: string;
  let spoiler: string;
  let sensitized: string;
  let withPoll: string;
  let boost: string;
  let own: string;

  beforeAll(async () => {
    plain = await postAs(alice, {
      status: `hello #roost @${bob.account.username} https://example.com/a`,
    });
    spoiler = await postAs(alice, { status: "behind a warning", spoiler_text: "cw" });
    sensitized = await postAs(bob, { status: "from a sensitized account" });
    withPoll = await postAs(alice, {
      status: "which?",
      poll: { options: ["this", "that"], expires_in: 3600 },
    });
    const boosted = await call(ctx, "POST", `/api/v1/statuses/${sensitized}/reblog`, alice.token);
    boost = boosted.body.id;
    own = await postAs(reader, { status: "my own" });
    await toHome(
      [reader.account, carol.account],
      [plain, spoiler, sensitized, withPoll, boost, own],
    );
    await call(ctx, "POST", `/api/v1/statuses/${plain}/favourite`, reader.token);
    await call(ctx, "POST", `/api/v1/statuses/${spoiler}/bookmark`, reader.token);
    await call(ctx, "POST", `/api/v1/statuses/${withPoll}/favourite`, carol.token);
  });

  it("serves a page seen before exactly as rendered afresh, with each viewer's own flags", async () => {
    const fragments = fragmentsOf(ctx.services);
    fragments.clear();
    const first = await home(reader);
    // Kept: the three originals by others without a poll; not the poll, the boost or own.
    expect(fragments.size).toBe(3);
    const second = await home(reader);
    expect(second).toEqual(first);
    // Byte for byte: kept statuses end with the viewer's keys in the serializer's order.
    const text = async () =>
      (
        await ctx.app.request("/api/v1/timelines/home", {
          headers: { authorization: `Bearer ${reader.token}` },
        })
      ).text();
    expect(await text()).toBe(JSON.stringify(first));
    expect(second.map((s) => s.id)).toEqual([own, boost, withPoll, sensitized, spoiler, plain]);
    for (const status of second) {
      expectSchema("Status", status);
      expect(status, status.id).toEqual(await single(reader, status.id));
    }
    const byId = new Map(second.map((s) => [s.id, s]));
    expect(byId.get(plain)).toMatchObject({ favourited: true, bookmarked: false });
    expect(byId.get(spoiler)).toMatchObject({ bookmarked: true, favourited: false });
    expect(byId.get(sensitized)?.sensitive).toBe(true);

    // Carol reads the same statuses from what the reader's page kept, with her own flags.
    const hers = await home(carol);
    // The reader's own post is someone else's to her: now kept as well.
    expect(fragments.size).toBe(4);
    for (const status of hers) expect(status, status.id).toEqual(await single(carol, status.id));
    const hersById = new Map(hers.map((s) => [s.id, s]));
    expect(hersById.get(plain)).toMatchObject({ favourited: false, bookmarked: false });
    expect(hersById.get(withPoll)).toMatchObject({ favourited: true });
  });

  it("shows a change to a status or to its author on the next page", async () => {
    await home(reader);
    const statusOf = async (id: string) => (await home(reader)).find((s) => s.id === id)!;

    // Counts live on the status row.
    await call(ctx, "POST", `/api/v1/statuses/${plain}/favourite`, carol.token);
    expect((await statusOf(plain)).favourites_count).toBe(2);

    const edited = await call(ctx, "PUT", `/api/v1/statuses/${spoiler}`, alice.token, {
      status: "edited words",
      spoiler_text: "cw",
    });
    expect(edited.status).toBe(200);
    expect((await statusOf(spoiler)).content).toContain("edited words");

    // A mentioned account's URL lives on its own row (a remote profile refresh changes it).
    await ctx.services.db
      .updateTable("accounts")
      .set({ url: "https://elsewhere.example/@bob" })
      .where("id", "=", bob.account.id)
      .execute();
    expect((await statusOf(plain)).mentions).toEqual([
      expect.objectContaining({ id: bob.account.id, url: "https://elsewhere.example/@bob" }),
    ]);

    const renamed = await call(ctx, "PATCH", "/api/v1/accounts/update_credentials", alice.token, {
      display_name: "Alice Renamed",
    });
    expect(renamed.status).toBe(200);
    const page = await home(reader);
    for (const id of [plain, spoiler]) {
      const status = page.find((s) => s.id === id)!;
      expect((status.account as { display_name: string }).display_name).toBe("Alice Renamed");
      expect(status).toEqual(await single(reader, id));
    }
  });

  it("applies a viewer's filters to statuses kept for others", async () => {
    await home(reader);
    const filter = await call(ctx, "POST", "/api/v2/filters", carol.token, {
      title: "greetings",
      context: ["home"],
      filter_action: "warn",
      keywords_attributes: [{ keyword: "hello" }],
    });
    expect(filter.status).toBe(200);
    const status = (await home(carol)).find((s) => s.id === plain)!;
    expect(status.filtered).toEqual([
      expect.objectContaining({ filter: expect.objectContaining({ id: filter.body.id }) }),
    ]);
    // The reader, who has no filter, still gets the kept JSON unchanged.
    expect((await home(reader)).find((s) => s.id === plain)!.filtered).toEqual([]);
  });

  it("leaves out a status deleted after its JSON was kept", async () => {
    const gone = await postAs(alice, { status: "soon gone" });
    await toHome([reader.account], [gone]);
    expect((await home(reader)).some((s) => s.id === gone)).toBe(true);
    expect((await call(ctx, "DELETE", `/api/v1/statuses/${gone}`, alice.token)).status).toBe(200);
    expect((await home(reader)).some((s) => s.id === gone)).toBe(false);
  });
});
