import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import {
  hasPermission,
  outranks,
  PERMISSIONS,
  parseRole,
  permissionsOf,
  requirePermission,
  roleEntity,
} from "../src/auth/roles.ts";
import { renderError } from "../src/http/errors.ts";
import type { AppEnv } from "../src/http/types.ts";
import type { Role } from "../src/infra/db/schema.ts";
import { expectSchema } from "./helpers/openapi.ts";

describe("permission flags", () => {
  it("uses Mastodon's bit values", () => {
    expect(PERMISSIONS.administrator).toBe(0x1);
    expect(PERMISSIONS.manage_reports).toBe(0x10);
    expect(PERMISSIONS.manage_users).toBe(0x400);
    expect(PERMISSIONS.invite_users).toBe(0x10000);
    expect(PERMISSIONS.manage_roles).toBe(0x20000);
    expect(PERMISSIONS.delete_user_data).toBe(0x80000);
    expect(PERMISSIONS.view_feeds).toBe(0x100000);
  });

  it("gives every user invite_users only (Mastodon's everyone role)", () => {
    expect(permissionsOf("user")).toBe(65536);
    expect(hasPermission("user", "invite_users")).toBe(true);
    expect(hasPermission("user", "manage_reports")).toBe(false);
    expect(hasPermission("user", "administrator")).toBe(false);
  });

  it("lets moderators handle reports and users but not settings or federation", () => {
    for (const flag of ["manage_reports", "manage_users", "view_dashboard", "view_audit_log"]) {
      expect(hasPermission("moderator", flag as keyof typeof PERMISSIONS)).toBe(true);
    }
    expect(hasPermission("moderator", "manage_settings")).toBe(false);
    expect(hasPermission("moderator", "manage_federation")).toBe(false);
    expect(hasPermission("moderator", "delete_user_data")).toBe(false);
  });

  it("lets admins do everything but devops and the administrator bit", () => {
    expect(hasPermission("admin", "manage_settings")).toBe(true);
    expect(hasPermission("admin", "manage_roles")).toBe(true);
    expect(hasPermission("admin", "delete_user_data")).toBe(true);
    expect(hasPermission("admin", "view_devops")).toBe(false);
    expect(hasPermission("admin", "administrator")).toBe(false);
  });

  it("lets owners do everything", () => {
    for (const flag of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) {
      expect(hasPermission("owner", flag)).toBe(true);
    }
    expect(permissionsOf("owner") & PERMISSIONS.administrator).toBe(1);
  });

  it("ranks owner > admin > moderator > user", () => {
    expect(outranks("owner", "admin")).toBe(true);
    expect(outranks("admin", "moderator")).toBe(true);
    expect(outranks("moderator", "user")).toBe(true);
    expect(outranks("moderator", "admin")).toBe(false);
    expect(outranks("admin", "admin")).toBe(false);
  });

  it("parses role names case-insensitively", () => {
    expect(parseRole("Admin")).toBe("admin");
    expect(parseRole("OWNER")).toBe("owner");
    expect(parseRole("superuser")).toBeUndefined();
  });
});

describe("roleEntity", () => {
  it("renders Mastodon's Role entity for every role", () => {
    for (const role of ["owner", "admin", "moderator", "user"] as Role[]) {
      const entity = roleEntity(role);
      expectSchema("Role", entity);
      expect(entity.permissions).toBe(String(permissionsOf(role)));
    }
    expect(roleEntity("user")).toEqual({
      id: "-99",
      name: "",
      color: "",
      permissions: "65536",
      highlighted: false,
    });
    expect(roleEntity("owner")).toMatchObject({ id: "3", name: "Owner" });
    expect(roleEntity("admin")).toMatchObject({ id: "2", name: "Admin" });
    expect(roleEntity("moderator")).toMatchObject({ id: "1", name: "Moderator" });
  });
});

describe("requirePermission", () => {
  function appAs(role: Role | undefined, signedIn = true) {
    const app = new Hono<AppEnv>();
    app.use("*", async (c, next) => {
      if (signedIn) {
        c.set("auth", {
          tokenId: "1",
          applicationId: "1",
          scopes: ["admin:read"],
          user: role ? ({ role } as never) : undefined,
        });
      }
      await next();
    });
    app.get("/reports", requirePermission("manage_reports"), (c) => c.json({ ok: true }));
    app.onError(renderError);
    return app;
  }

  it("lets a role with the flag through", async () => {
    expect((await appAs("moderator").request("/reports")).status).toBe(200);
    expect((await appAs("owner").request("/reports")).status).toBe(200);
  });

  it("answers 403 with Mastodon's message otherwise", async () => {
    const res = await appAs("user").request("/reports");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "This action is not allowed" });
    expect((await appAs(undefined).request("/reports")).status).toBe(403);
  });

  it("answers 401 without a token", async () => {
    expect((await appAs("owner", false).request("/reports")).status).toBe(401);
  });
});
