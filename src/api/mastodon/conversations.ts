// Direct messages as chat: GET /api/v1/conversations, POST .../:id/read, DELETE .../:id,
// and the deprecated GET /api/v1/timelines/direct that some clients still read.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import {
  directTimeline,
  listConversations,
  markConversationRead,
  removeConversation,
} from "../../conversations/queries.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";

const READ = ["read", "read:statuses"] as const;
const WRITE = ["write", "write:conversations"] as const;

export function conversationRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/conversations", requireAuth(READ), async (c) => {
    const services = c.get("services");
    const page = await listConversations(services, currentAccount(c), pageParams(c));
    setLinkHeader(c, page, services.config.publicUrl);
    return c.json(page.conversations);
  });

  app.post("/v1/conversations/:id/read", requireAuth(WRITE), async (c) => {
    const entity = await markConversationRead(
      c.get("services"),
      currentAccount(c),
      c.req.param("id"),
    );
    return c.json(entity);
  });

  app.delete("/v1/conversations/:id", requireAuth(WRITE), async (c) => {
    await removeConversation(c.get("services"), currentAccount(c), c.req.param("id"));
    return c.json({});
  });

  app.get("/v1/timelines/direct", requireAuth(READ), async (c) => {
    const services = c.get("services");
    const page = await directTimeline(services, currentAccount(c), pageParams(c));
    setLinkHeader(c, page, services.config.publicUrl);
    return c.json(page.statuses);
  });

  return app;
}
