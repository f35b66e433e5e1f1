// Routes of the public HTML pages (src/web/public-pages.ts). /users/... reaches them only
// when Fedify found the request not to be for JSON (a browser); /@... are Hono's alone, so
// an ActivityPub client asking there is sent to the actor or post URL Fedify answers.
import type { Context } from "hono";
import { Hono } from "hono";
import { loadMovedAccount } from "../accounts/serializers.ts";
import type { AppEnv } from "../http/types.ts";
import {
  findPublicAccount,
  findPublicStatus,
  recentPublicStatuses,
  renderNotFoundPage,
  renderProfilePage,
  renderStatusPage,
} from "./public-pages.ts";

const ACTIVITY_TYPES = /application\/(activity\+json|ld\+json)/i;

/** Whether the request asks for ActivityPub JSON rather than a page. */
function wantsActivityJson(c: Context<AppEnv>): boolean {
  const accept = c.req.header("accept") ?? "";
  if (!ACTIVITY_TYPES.test(accept)) return false;
  // A browser's Accept lists text/html first; a client asking for JSON does not.
  const html = accept.toLowerCase().indexOf("text/html");
  const json = accept.search(ACTIVITY_TYPES);
  return html === -1 || json < html;
}

async function page(c: Context<AppEnv>, render: () => Promise<string | null>) {
  const { config } = c.get("services");
  const body = await render();
  // The same URLs serve JSON to other clients: caches must keep the two apart.
  c.header("Vary", "Accept");
  if (body === null) return c.html(await renderNotFoundPage(config), 404);
  return c.html(body);
}

export function publicPageRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const profile = (c: Context<AppEnv>, username: string) =>
    page(c, async () => {
      const { db, config } = c.get("services");
      const account = await findPublicAccount(db, username);
      if (!account) return null;
      const [statuses, moved] = await Promise.all([
        recentPublicStatuses(db, account),
        loadMovedAccount(db, account),
      ]);
      return await renderProfilePage(config, account, statuses, moved);
    });

  const status = (c: Context<AppEnv>, username: string, id: string) =>
    page(c, async () => {
      const { db, config } = c.get("services");
      const account = await findPublicAccount(db, username);
      const found = account ? await findPublicStatus(db, account, id) : null;
      if (!account || !found) return null;
      return await renderStatusPage(config, account, found);
    });

  app.get("/users/:username", (c) => profile(c, c.req.param("username")));
  app.get("/users/:username/statuses/:id", (c) =>
    status(c, c.req.param("username"), c.req.param("id")),
  );
  app.get("/:handle{@[A-Za-z0-9_]+}", (c) => {
    const username = c.req.param("handle").slice(1);
    if (wantsActivityJson(c)) return c.redirect(`/users/${username}`, 302);
    return profile(c, username);
  });
  app.get("/:handle{@[A-Za-z0-9_]+}/:id{[0-9]+}", (c) => {
    const username = c.req.param("handle").slice(1);
    const id = c.req.param("id");
    if (wantsActivityJson(c)) return c.redirect(`/users/${username}/statuses/${id}`, 302);
    return status(c, username, id);
  });
  return app;
}
