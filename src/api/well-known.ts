// Discovery documents other servers and crawlers fetch: NodeInfo and host-meta.
// WebFinger is Fedify's (federation/actors.ts); NodeInfo stays here so it is served once.
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import { instanceStats } from "../instance/stats.ts";
import type { Services } from "../services.ts";
import { ROOST_VERSION, SOURCE_URL } from "../version.ts";

export const NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1";
export const NODEINFO_CONTENT_TYPE = `application/json; profile="${NODEINFO_SCHEMA}#"`;

export function wellKnownRoutes(services: Services): Hono<AppEnv> {
  const { config, db } = services;
  const app = new Hono<AppEnv>();
  const webfingerTemplate = `${config.publicUrl}/.well-known/webfinger?resource={uri}`;

  app.get("/.well-known/nodeinfo", (c) =>
    c.json({ links: [{ rel: NODEINFO_SCHEMA, href: `${config.publicUrl}/nodeinfo/2.1` }] }),
  );

  app.get("/nodeinfo/2.1", async (c) => {
    const s = await getInstanceSettings(db, config);
    const counts = await instanceStats(services);
    const body = {
      version: "2.1",
      software: {
        // NodeInfo requires ^[a-z0-9-]+$.
        name: "roost",
        version: ROOST_VERSION,
        ...(SOURCE_URL ? { repository: SOURCE_URL } : {}),
        homepage: config.publicUrl,
      },
      protocols: ["activitypub"],
      services: { inbound: [], outbound: [] },
      openRegistrations: s.registrations !== "closed",
      usage: {
        users: {
          total: counts.users,
          activeMonth: counts.activeMonth,
          activeHalfyear: counts.activeHalfyear,
        },
        localPosts: counts.localPosts,
      },
      metadata: { nodeName: s.title, nodeDescription: s.description },
    };
    return c.body(JSON.stringify(body), 200, { "Content-Type": NODEINFO_CONTENT_TYPE });
  });

  app.get("/.well-known/host-meta", (c) => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n' +
      `  <Link rel="lrdd" template="${escapeXmlAttr(webfingerTemplate)}"/>\n` +
      "</XRD>\n";
    return c.body(xml, 200, { "Content-Type": "application/xrd+xml; charset=utf-8" });
  });

  app.get("/.well-known/host-meta.json", (c) =>
    c.body(JSON.stringify({ links: [{ rel: "lrdd", template: webfingerTemplate }] }), 200, {
      "Content-Type": "application/jrd+json; charset=utf-8",
    }),
  );

  return app;
}

function escapeXmlAttr(s: string): string {
  return s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}
