// Instance settings and rules edited by admins: GET/PATCH /api/v1/admin/settings and
// /api/v1/admin/rules (Roost extensions; manage_settings / manage_rules), what the public
// instance endpoints show afterwards, and the same changes through the admin CLI.
import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/infra/db/index.ts";
import type { createUserWithToken } from "./helpers/auth.ts";
import { createTestBackend, type TestBackend } from "./helpers/backend.ts";
import { STAFF_SCOPES, userWithRole } from "./helpers/moderation.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { repoRoot } from "./helpers/process.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let admin: string;
let moderator: string;
let owner: Awaited<ReturnType<typeof createUserWithToken>>;

function call(method: string, url: string, token?: string, body?: Record<string, unknown>) {
  return ctx.app.request(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

async function json(url: string) {
  const res = await ctx.app.request(url);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  ctx = await createTestContext();
  admin = (await userWithRole(ctx, "admin", { scopes: STAFF_SCOPES })).token;
  moderator = (await userWithRole(ctx, "moderator", { scopes: STAFF_SCOPES })).token;
  owner = await userWithRole(ctx, "owner", { username: "theowner", scopes: STAFF_SCOPES });
}, 60_000);

afterAll(async () => {
  await ctx?.close();
});

describe("/api/v1/admin/settings", () => {
  it("needs manage_settings", async () => {
    expect((await call("GET", "/api/v1/admin/settings", moderator)).status).toBe(403);
    const res = await call("PATCH", "/api/v1/admin/settings", moderator, { title: "Mine" });
    expect(res.status).toBe(403);
    expect((await call("GET", "/api/v1/admin/settings")).status).toBe(401);
  });

  it("changes what /api/v1/instance and /api/v2/instance show", async () => {
    const res = await call("PATCH", "/api/v1/admin/settings", admin, {
      title: "Birdhouse",
      description: "A small place.",
      extended_description: "Long text.\n\nSecond <paragraph>.",
      contact_email: "staff@birdhouse.example",
      contact_username: "theowner",
      registrations_mode: "approval",
      max_status_chars: "1000",
    });
    expect(res.status).toBe(200);
    const settings = (await res.json()) as Record<string, unknown>;
    expect(settings).toMatchObject({
      title: "Birdhouse",
      registrations_mode: "approval",
      max_status_chars: 1000,
      contact_username: "theowner",
    });
    expect(await (await call("GET", "/api/v1/admin/settings", admin)).json()).toEqual(settings);

    const v1 = await json("/api/v1/instance");
    expectResponseSchema("GET", "/api/v1/instance", 200, v1);
    expect(v1).toMatchObject({
      title: "Birdhouse",
      short_description: "A small place.",
      email: "staff@birdhouse.example",
      registrations: true,
      approval_required: true,
    });
    expect((v1.contact_account as { username: string }).username).toBe("theowner");
    expect(
      ((v1.configuration as Record<string, unknown>).statuses as Record<string, unknown>)
        .max_characters,
    ).toBe(1000);

    const v2 = await json("/api/v2/instance");
    expectResponseSchema("GET", "/api/v2/instance", 200, v2);
    expect(v2.registrations).toMatchObject({ enabled: true, approval_required: true });
    expect((v2.contact as { account: { id: string } }).account.id).toBe(owner.account.id);
    expect(
      ((v2.configuration as Record<string, unknown>).statuses as Record<string, unknown>)
        .max_characters,
    ).toBe(1000);

    const extended = await json("/api/v1/instance/extended_description");
    expectResponseSchema("GET", "/api/v1/instance/extended_description", 200, extended);
    expect(extended.content).toBe("<p>Long text.</p><p>Second &lt;paragraph&gt;.</p>");

    // Closed registrations refuse sign-ups.
    await call("PATCH", "/api/v1/admin/settings", admin, { registrations_mode: "closed" });
    const v2Closed = await json("/api/v2/instance");
    expect((v2Closed.registrations as { enabled: boolean }).enabled).toBe(false);
  });

  it("refuses bad values all at once and stores none of them", async () => {
    const res = await call("PATCH", "/api/v1/admin/settings", admin, {
      title: "Fine",
      registrations_mode: "sometimes",
      max_status_chars: 0,
      contact_username: "nobody_here",
      colour: "blue",
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { details: Record<string, unknown> };
    expect(Object.keys(body.details).sort()).toEqual([
      "colour",
      "contact_username",
      "max_status_chars",
      "registrations_mode",
    ]);
    expect((await json("/api/v1/instance")).title).toBe("Birdhouse");
  });

  it("resets a setting to the configured default with null, and logs each change", async () => {
    const res = await call("PATCH", "/api/v1/admin/settings", admin, { title: null });
    expect(((await res.json()) as { title: string }).title).toBe(ctx.config.instance.title);
    const log = await ctx.services.db
      .selectFrom("admin_action_logs")
      .select("action")
      .where("target_type", "=", "Form::AdminSettings")
      .execute();
    expect(log.length).toBeGreaterThanOrEqual(3);
  });
});

describe("/api/v1/admin/rules", () => {
  it("needs manage_rules", async () => {
    expect((await call("GET", "/api/v1/admin/rules", moderator)).status).toBe(403);
    expect((await call("POST", "/api/v1/admin/rules", moderator, { text: "Be kind" })).status).toBe(
      403,
    );
  });

  it("creates, edits and deletes rules shown by /api/v1/instance/rules", async () => {
    const first = await call("POST", "/api/v1/admin/rules", admin, {
      text: "Be kind",
      hint: "No harassment.",
    });
    expect(first.status).toBe(200);
    const kind = (await first.json()) as { id: string };
    expectSchema("Rule", kind);
    const second = (await (
      await call("POST", "/api/v1/admin/rules", admin, { text: "No spam" })
    ).json()) as { id: string };
    expect((await call("POST", "/api/v1/admin/rules", admin, { text: "  " })).status).toBe(422);

    const res = await ctx.app.request("/api/v1/instance/rules");
    const rules = (await res.json()) as { id: string; text: string }[];
    expectResponseSchema("GET", "/api/v1/instance/rules", 200, rules);
    expect(rules.map((r) => r.text)).toEqual(["Be kind", "No spam"]);

    const edited = await call("PUT", `/api/v1/admin/rules/${second.id}`, admin, {
      text: "No spam, no ads",
      priority: -1,
    });
    expect(edited.status).toBe(200);
    expectSchema("Rule", await edited.json());
    expect((await call("PUT", `/api/v1/admin/rules/${second.id}`, moderator, {})).status).toBe(403);
    const v2 = await json("/api/v2/instance");
    expect((v2.rules as { text: string }[]).map((r) => r.text)).toEqual([
      "No spam, no ads",
      "Be kind",
    ]);
    const shown = await call("GET", `/api/v1/admin/rules/${kind.id}`, admin);
    expectSchema("Rule", await shown.json());
    const list = (await (await call("GET", "/api/v1/admin/rules", admin)).json()) as unknown[];
    for (const r of list) expectSchema("Rule", r);

    expect((await call("DELETE", `/api/v1/admin/rules/${kind.id}`, moderator)).status).toBe(403);
    expect((await call("DELETE", `/api/v1/admin/rules/${kind.id}`, admin)).status).toBe(200);
    expect((await call("GET", `/api/v1/admin/rules/${kind.id}`, admin)).status).toBe(404);
    const v1 = await json("/api/v1/instance");
    expect((v1.rules as { id: string }[]).map((r) => r.id)).toEqual([second.id]);
  });
});

describe("npm run cli -- settings", () => {
  let backend: TestBackend;
  const CLI = path.join(repoRoot, "src/cli/index.ts");

  beforeAll(async () => {
    backend = await createTestBackend();
  });
  afterAll(async () => {
    await backend?.cleanup();
  });

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          cwd: backend.dataDir,
          env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...backend.env },
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it("sets, shows and unsets settings and manages rules", async () => {
    expect((await cli("settings", "set", "title", "CLI Town")).code).toBe(0);
    expect((await cli("settings", "set", "max_status_chars", "777")).code).toBe(0);
    const bad = await cli("settings", "set", "max_status_chars", "lots");
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);

    const shown = await cli("settings", "show");
    expect(shown.stdout).toContain('title: "CLI Town"');
    expect(shown.stdout).toContain("max_status_chars: 777");

    const added = await cli("settings", "rules", "add", "Be", "excellent", "--hint", "Always");
    expect(added.code).toBe(0);
    const id = added.stdout.trim().split(" ")[1]!;
    expect((await cli("settings", "unset", "title")).code).toBe(0);
    expect((await cli("settings", "rules", "remove", id)).code).toBe(0);

    const handle = await openDatabase({
      databaseUrl: backend.databaseUrl,
      dataDir: backend.dataDir,
    });
    try {
      const rows = await handle.db
        .selectFrom("instance_settings")
        .select(["key", "value"])
        .execute();
      expect(rows.find((r) => r.key === "title")).toBeUndefined();
      expect(rows.find((r) => r.key === "max_status_chars")?.value).toBe(777);
      const rules = await handle.db.selectFrom("rules").select(["id", "deleted_at"]).execute();
      expect(rules).toHaveLength(1);
      expect(rules[0]?.id).toBe(id);
      expect(rules[0]?.deleted_at).not.toBeNull();
    } finally {
      await handle.close();
    }
  }, 240_000);
});
