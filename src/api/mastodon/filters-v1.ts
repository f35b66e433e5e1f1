// /api/v1/filters: the filters API older apps still use, one keyword per filter, stored as
// v2 filters (src/filters/v1.ts has the mapping).
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { serializeV1Filter } from "../../filters/serializer.ts";
import {
  createV1Filter,
  deleteV1Filter,
  getV1Filter,
  listV1Filters,
  updateV1Filter,
  type V1Filter,
} from "../../filters/v1.ts";
import { readParams } from "../../http/body.ts";
import type { AppEnv } from "../../http/types.ts";
import { READ_FILTERS, WRITE_FILTERS } from "./filters.ts";
import { contextParam, expiresInParam, has } from "./filters-params.ts";
import { bool, str } from "./statuses-params.ts";

const render = ({ keyword, filter }: V1Filter) => serializeV1Filter(keyword, filter);

export function filterV1Routes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/filters", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    return c.json((await listV1Filters(db, currentAccount(c).id)).map(render));
  });

  app.post("/v1/filters", requireAuth(WRITE_FILTERS), async (c) => {
    const p = await readParams(c);
    const created = await createV1Filter(c.get("services"), currentAccount(c).id, {
      phrase: str(p.phrase, "Phrase") ?? "",
      context: contextParam(p.context),
      irreversible: bool(p.irreversible, "Irreversible") ?? false,
      wholeWord: bool(p.whole_word, "Whole word") ?? true,
      expiresAt: expiresInParam(p.expires_in),
    });
    return c.json(render(created));
  });

  app.get("/v1/filters/:id", requireAuth(READ_FILTERS), async (c) => {
    const { db } = c.get("services");
    return c.json(render(await getV1Filter(db, currentAccount(c).id, c.req.param("id"))));
  });

  app.put("/v1/filters/:id", requireAuth(WRITE_FILTERS), async (c) => {
    const p = await readParams(c);
    const updated = await updateV1Filter(
      c.get("services"),
      currentAccount(c).id,
      c.req.param("id"),
      {
        phrase: str(p.phrase, "Phrase"),
        context: has(p, "context") ? contextParam(p.context) : undefined,
        irreversible: bool(p.irreversible, "Irreversible"),
        wholeWord: bool(p.whole_word, "Whole word"),
        expiresAt: has(p, "expires_in") ? expiresInParam(p.expires_in) : undefined,
      },
    );
    return c.json(render(updated));
  });

  app.delete("/v1/filters/:id", requireAuth(WRITE_FILTERS), async (c) => {
    await deleteV1Filter(c.get("services"), currentAccount(c).id, c.req.param("id"));
    return c.json({});
  });

  return app;
}
