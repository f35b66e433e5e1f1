// /api/v2/filters: filters with their keywords and statuses (Mastodon 4's model). The v1
// endpoints, which see one keyword as one filter, are in filters-v1.ts. Logic in src/filters.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import {
  serializeFilter,
  serializeFilterStatus,
  serializeKeyword,
} from "../../filters/serializer.ts";
import {
  addFilterStatus,
  addKeyword,
  createFilter,
  deleteFilter,
  deleteFilterStatus,
  deleteKeyword,
  findFilterStatus,
  findKeyword,
  getFilter,
  listFilterStatuses,
  listFilters,
  listKeywords,
  updateFilter,
  updateKeyword,
} from "../../filters/service.ts";
import { readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import {
  actionParam,
  contextParam,
  expiresInParam,
  has,
  keywordChangesParam,
  newKeywordsParam,
} from "./filters-params.ts";
import { bool, str } from "./statuses-params.ts";

export const READ_FILTERS = "read:filters";
export const WRITE_FILTERS = "write:filters";

export function filterRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Fixed paths (keywords/:id, statuses/:id) before `/:id`.
  app.get("/v2/filters/keywords/:id", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    const { keyword } = await findKeyword(db, currentAccount(c).id, c.req.param("id"));
    return c.json(serializeKeyword(keyword));
  });

  app.put("/v2/filters/keywords/:id", requireAuth(WRITE_FILTERS), async (c) => {
    const p = await readParams(c);
    const row = await updateKeyword(c.get("services"), currentAccount(c).id, c.req.param("id"), {
      keyword: str(p.keyword, "Keyword"),
      wholeWord: bool(p.whole_word, "Whole word"),
    });
    return c.json(serializeKeyword(row));
  });

  app.delete("/v2/filters/keywords/:id", requireAuth(WRITE_FILTERS), async (c) => {
    await deleteKeyword(c.get("services"), currentAccount(c).id, c.req.param("id"));
    return c.json({});
  });

  app.get("/v2/filters/statuses/:id", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    const row = await findFilterStatus(db, currentAccount(c).id, c.req.param("id"));
    return c.json(serializeFilterStatus(row));
  });

  app.delete("/v2/filters/statuses/:id", requireAuth(WRITE_FILTERS), async (c) => {
    await deleteFilterStatus(c.get("services"), currentAccount(c).id, c.req.param("id"));
    return c.json({});
  });

  app.get("/v2/filters", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    const filters = await listFilters(db, currentAccount(c).id);
    return c.json(filters.map(serializeFilter));
  });

  app.post("/v2/filters", requireAuth(WRITE_FILTERS), async (c) => {
    const p = await readParams(c);
    const created = await createFilter(c.get("services"), currentAccount(c).id, {
      title: str(p.title, "Title") ?? "",
      context: contextParam(p.context),
      action: actionParam(p.filter_action) ?? "warn",
      expiresAt: expiresInParam(p.expires_in),
      keywords: newKeywordsParam(p.keywords_attributes),
    });
    return c.json(serializeFilter(created));
  });

  app.get("/v2/filters/:id", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    return c.json(serializeFilter(await getFilter(db, currentAccount(c).id, c.req.param("id"))));
  });

  app.put("/v2/filters/:id", requireAuth(WRITE_FILTERS), async (c) => {
    const p = await readParams(c);
    const updated = await updateFilter(c.get("services"), currentAccount(c).id, c.req.param("id"), {
      title: str(p.title, "Title"),
      context: has(p, "context") ? contextParam(p.context) : undefined,
      action: actionParam(p.filter_action),
      expiresAt: has(p, "expires_in") ? expiresInParam(p.expires_in) : undefined,
      keywords: keywordChangesParam(p.keywords_attributes),
    });
    return c.json(serializeFilter(updated));
  });

  app.delete("/v2/filters/:id", requireAuth(WRITE_FILTERS), async (c) => {
    await deleteFilter(c.get("services"), currentAccount(c).id, c.req.param("id"));
    return c.json({});
  });

  app.get("/v2/filters/:filter_id/keywords", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    const rows = await listKeywords(db, currentAccount(c).id, c.req.param("filter_id"));
    return c.json(rows.map(serializeKeyword));
  });

  app.post("/v2/filters/:filter_id/keywords", requireAuth(WRITE_FILTERS), async (c) => {
    const p = await readParams(c);
    const services = c.get("services");
    const row = await addKeyword(services, currentAccount(c).id, c.req.param("filter_id"), {
      keyword: str(p.keyword, "Keyword") ?? "",
      wholeWord: bool(p.whole_word, "Whole word") ?? true,
    });
    return c.json(serializeKeyword(row));
  });

  app.get("/v2/filters/:filter_id/statuses", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    const rows = await listFilterStatuses(db, currentAccount(c).id, c.req.param("filter_id"));
    return c.json(rows.map(serializeFilterStatus));
  });

  app.post("/v2/filters/:filter_id/statuses", requireAuth(WRITE_FILTERS), async (c) => {
    const p = await readParams(c);
    const statusId = str(p.status_id, "Status");
    if (!statusId) throw ApiError.unprocessable("Validation failed: Status must exist");
    const services = c.get("services");
    const row = await addFilterStatus(
      services,
      currentAccount(c).id,
      c.req.param("filter_id"),
      statusId,
    );
    return c.json(serializeFilterStatus(row));
  });

  return app;
}
