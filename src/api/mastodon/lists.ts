// /api/v1/lists: the owner's lists and their members. Thin handlers over src/lists/.
// Parameters come as JSON, forms or the query string (Subway Tooter sends `account_ids[]`
// on DELETE in the query), so the query and body are merged, the body winning.
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { serializeAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { type Params, queryParams, readParams } from "../../http/body.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { getOwnedList, listMembers, listsOf, serializeList } from "../../lists/queries.ts";
import {
  addListAccounts,
  createList,
  deleteList,
  type ListChanges,
  removeListAccounts,
  updateList,
} from "../../lists/service.ts";
import { parseParams, railsBoolean } from "./accounts-params.ts";

const READ = ["read", "read:lists"] as const;
const WRITE = ["write", "write:lists"] as const;

const listSchema = z.object({
  title: z.union([z.string(), z.number()]).transform(String).optional(),
  replies_policy: z.enum(["followed", "list", "none"]).optional(),
  exclusive: railsBoolean.optional(),
});

async function allParams(c: Context<AppEnv>): Promise<Params> {
  return { ...queryParams(c), ...(await readParams(c)) };
}

async function listChanges(c: Context<AppEnv>): Promise<ListChanges> {
  const p = parseParams(listSchema, await allParams(c));
  return { title: p.title, repliesPolicy: p.replies_policy, exclusive: p.exclusive };
}

/** `account_ids` as a JSON array, `account_ids[]` form or query fields, or one value. */
function accountIds(params: Params): string[] {
  const value = params.account_ids;
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .filter((v) => typeof v === "string" || typeof v === "number")
    .map((v) => String(v).trim())
    .filter((v) => v !== "");
}

export function listRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/lists", requireAuth(READ), async (c) => {
    const lists = await listsOf(c.get("services").db, currentAccount(c).id);
    return c.json(lists.map(serializeList));
  });

  app.post("/v1/lists", requireAuth(WRITE), async (c) => {
    const list = await createList(c.get("services"), currentAccount(c).id, await listChanges(c));
    return c.json(serializeList(list));
  });

  app.get("/v1/lists/:id", requireAuth(READ), async (c) => {
    const list = await getOwnedList(c.get("services").db, currentAccount(c).id, c.req.param("id"));
    return c.json(serializeList(list));
  });

  app.put("/v1/lists/:id", requireAuth(WRITE), async (c) => {
    const changes = await listChanges(c);
    const list = await updateList(
      c.get("services"),
      currentAccount(c).id,
      c.req.param("id"),
      changes,
    );
    return c.json(serializeList(list));
  });

  app.delete("/v1/lists/:id", requireAuth(WRITE), async (c) => {
    await deleteList(c.get("services"), currentAccount(c).id, c.req.param("id"));
    return c.json({});
  });

  app.get("/v1/lists/:id/accounts", requireAuth(READ), async (c) => {
    const { db, config } = c.get("services");
    const list = await getOwnedList(db, currentAccount(c).id, c.req.param("id"));
    // limit=0 lists every member, unpaged, as Mastodon does.
    const all = c.req.query("limit") === "0";
    const page = all ? undefined : pageParams(c, { defaultLimit: 40, maxLimit: 80 });
    const members = await listMembers(db, list.id, page);
    if (page) setLinkHeader(c, members, config.publicUrl);
    return c.json(members.accounts.map((a) => serializeAccount(a, config)));
  });

  app.post("/v1/lists/:id/accounts", requireAuth(WRITE), async (c) => {
    const ids = accountIds(await allParams(c));
    await addListAccounts(c.get("services"), currentAccount(c).id, c.req.param("id"), ids);
    return c.json({});
  });

  app.delete("/v1/lists/:id/accounts", requireAuth(WRITE), async (c) => {
    const ids = accountIds(await allParams(c));
    await removeListAccounts(c.get("services"), currentAccount(c).id, c.req.param("id"), ids);
    return c.json({});
  });

  return app;
}
