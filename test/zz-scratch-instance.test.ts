import { Hono } from "hono";
import { expect, test } from "vitest";
import { instanceRoutes } from "../src/api/mastodon/instance.ts";
import { wellKnownRoutes } from "../src/api/well-known.ts";
import { parseConfig } from "../src/config.ts";
import { openDatabase } from "../src/infra/db/index.ts";
import { migrateToLatest } from "../src/infra/db/migrate.ts";
import { setInstanceSetting } from "../src/instance/settings.ts";
import { expectSchema, expectResponseSchema } from "./helpers/openapi.ts";
import { mkdtempSync } from "node:fs";

test("scratch", async () => {
  const dir = mkdtempSync("/tmp/roost-scratch/x");
  const config = parseConfig({ DATA_DIR: dir, REGISTRATIONS: "approval" });
  const h = await openDatabase(config);
  await migrateToLatest(h.db as never);
  const services = { config, db: h.db } as never;
  const app = new Hono();
  app.route("/api", instanceRoutes(services));
  app.route("/", wellKnownRoutes(services));
  await setInstanceSetting(h.db, "rules", ["Be nice", { text: "No spam", hint: "really" }]);
  await setInstanceSetting(h.db, "extended_description", "Hello <b>\n\nworld");
  for (const p of ["/api/v1/instance", "/api/v2/instance", "/api/v1/instance/activity", "/api/v1/instance/rules", "/api/v1/instance/extended_description", "/nodeinfo/2.1", "/.well-known/host-meta", "/.well-known/host-meta.json", "/.well-known/nodeinfo"]) {
    const r = await app.request(p);
    console.log(p, r.status, r.headers.get("content-type"), (await r.text()).slice(0, 3000));
  }
  const v1 = await (await app.request("/api/v1/instance")).json();
  expectSchema("V1Instance", v1);
  const v2 = await (await app.request("/api/v2/instance")).json();
  expectSchema("Instance", v2);
  expectResponseSchema("GET", "/api/v2/instance", 200, v2);
  expectResponseSchema("GET", "/api/v1/instance/activity", 200, await (await app.request("/api/v1/instance/activity")).json());
  expectResponseSchema("GET", "/api/v1/instance/rules", 200, await (await app.request("/api/v1/instance/rules")).json());
  expectSchema("ExtendedDescription", await (await app.request("/api/v1/instance/extended_description")).json());
  delete v2.contact; v2.configuration.statuses.max_characters = "x"; v2.languages = ["eng"];
  expect(() => expectSchema("Instance", v2)).toThrow();
  try { expectSchema("Instance", v2); } catch (e) { console.log((e as Error).message); }
  await h.close();
});
