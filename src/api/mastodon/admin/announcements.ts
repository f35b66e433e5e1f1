// /api/v1/admin/announcements: staff write, edit, publish and withdraw announcements (a
// Roost extension: Mastodon does this only in its web admin). Needs manage_announcements;
// every write is recorded in the audit log (src/announcements/store.ts).
import { Hono } from "hono";
import { z } from "zod";
import {
  type AnnouncementRow,
  serializeAdminAnnouncements,
} from "../../../announcements/render.ts";
import {
  createAnnouncement,
  deleteAnnouncement,
  findAnnouncement,
  setPublished,
  updateAnnouncement,
} from "../../../announcements/store.ts";
import { currentAccount, requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import { pageParams, setLinkHeader } from "../../../http/pagination.ts";
import type { AppEnv } from "../../../http/types.ts";
import { formBool, parseWith } from "./domain-blocks.ts";

const READ = requireAuth(["admin:read"]);
const WRITE = requireAuth(["admin:write"]);
const ALLOWED = requirePermission("manage_announcements");

export const ANNOUNCEMENT_TEXT_MAX = 10_000;

/** An ISO 8601 time, or null / "" to clear it. */
const time = z.preprocess(
  (v) => (v === "" ? null : v),
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), "is not a valid time")
    .transform((s) => new Date(s))
    .nullable(),
);

const createParams = z.object({
  text: z.string().trim().min(1).max(ANNOUNCEMENT_TEXT_MAX),
  starts_at: time.optional(),
  ends_at: time.optional(),
  all_day: formBool.optional(),
  publish: formBool.optional(),
});
const updateParams = createParams.omit({ publish: true }).partial();

export function adminAnnouncementRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/announcements", READ, ALLOWED, async (c) => {
    const services = c.get("services");
    const page = pageParams(c, { defaultLimit: 40, maxLimit: 200 });
    let query = services.db.selectFrom("announcements").selectAll();
    if (page.maxId) query = query.where("id", "<", page.maxId);
    if (page.sinceId) query = query.where("id", ">", page.sinceId);
    let rows: AnnouncementRow[];
    if (page.minId) {
      rows = (
        await query.where("id", ">", page.minId).orderBy("id", "asc").limit(page.limit).execute()
      ).reverse();
    } else {
      rows = await query.orderBy("id", "desc").limit(page.limit).execute();
    }
    setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, services.config.publicUrl);
    return c.json(await serializeAdminAnnouncements(services, rows));
  });

  app.get("/v1/admin/announcements/:id", READ, ALLOWED, async (c) => {
    const services = c.get("services");
    const row = await findAnnouncement(services.db, c.req.param("id"));
    return c.json((await serializeAdminAnnouncements(services, [row]))[0]);
  });

  app.post("/v1/admin/announcements", WRITE, ALLOWED, async (c) => {
    const input = parseWith(createParams, await readParams(c));
    const services = c.get("services");
    const row = await createAnnouncement(services, currentAccount(c).id, input);
    return c.json((await serializeAdminAnnouncements(services, [row]))[0]);
  });

  app.put("/v1/admin/announcements/:id", WRITE, ALLOWED, async (c) => {
    const input = parseWith(updateParams, await readParams(c));
    const services = c.get("services");
    const row = await updateAnnouncement(services, currentAccount(c).id, c.req.param("id"), input);
    return c.json((await serializeAdminAnnouncements(services, [row]))[0]);
  });

  app.delete("/v1/admin/announcements/:id", WRITE, ALLOWED, async (c) => {
    await deleteAnnouncement(c.get("services"), currentAccount(c).id, c.req.param("id"));
    return c.json({});
  });

  for (const action of ["publish", "unpublish"] as const) {
    app.post(`/v1/admin/announcements/:id/${action}`, WRITE, ALLOWED, async (c) => {
      const services = c.get("services");
      const row = await setPublished(
        services,
        currentAccount(c).id,
        c.req.param("id"),
        action === "publish",
      );
      return c.json((await serializeAdminAnnouncements(services, [row]))[0]);
    });
  }

  return app;
}
