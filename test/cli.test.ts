// The admin CLI as an admin runs it: a separate process on the same backend as the server.
// On the embedded backend the CLI and the test take turns opening the database.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../src/accounts/local-account-service.ts";
import { type Db, openDatabase } from "../src/infra/db/index.ts";
import { newId } from "../src/infra/ids.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { createTestBackend, type TestBackend } from "./helpers/backend.ts";
import { repoRoot } from "./helpers/process.ts";

const CLI = path.join(repoRoot, "src/cli/index.ts");

let backend: TestBackend;

beforeAll(async () => {
  backend = await createTestBackend();
});

afterAll(async () => {
  await backend?.cleanup();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in DATA_DIR (so no developer .env is read) with only the backend's settings. */
function cli(...args: string[]): Promise<Result> {
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

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

function findUser(username: string) {
  return withDb((db) =>
    db
      .selectFrom("users")
      .innerJoin("accounts", "accounts.id", "users.account_id")
      .selectAll("users")
      .where("accounts.username", "=", username)
      .executeTakeFirst(),
  );
}

function newPassword(stdout: string): string {
  const match = stdout.match(/^New password: (\S+)$/m);
  expect(match, stdout).not.toBeNull();
  return match![1]!;
}

describe("npm run cli", { timeout: 120_000 }, () => {
  it("prints usage with --help", async () => {
    const res = await cli("--help");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("accounts create <username>");
    expect(res.stdout).toContain("settings registrations");
    const sub = await cli("accounts", "--help");
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("--reset-password");
  });

  it("fails with one line for an unknown command or option", async () => {
    const res = await cli("frobnicate");
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    const opt = await cli("accounts", "create", "x", "--email", "x@example.com", "--bogus");
    expect(opt.code).toBe(1);
    expect(opt.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("creates an account and prints a password that works", async () => {
    const res = await cli(
      "accounts",
      "create",
      "admin",
      "--email",
      "admin@example.com",
      "--role",
      "Owner",
      "--confirmed",
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const password = newPassword(res.stdout);
    expect(password.length).toBeGreaterThanOrEqual(24);
    const user = await findUser("admin");
    expect(user).toMatchObject({ role: "owner", approved: true, email: "admin@example.com" });
    expect(user?.confirmed_at).not.toBeNull();
    expect(await verifyPassword(user!.password_hash, password)).toBe(true);
  });

  it("refuses a taken username with exit code 1 and one line", async () => {
    await cli("accounts", "create", "bob", "--email", "bob@example.com");
    const res = await cli("accounts", "create", "Bob", "--email", "bob2@example.com");
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toBe("Username has already been taken\n");
    const user = await findUser("bob");
    expect(user).toMatchObject({ role: "user", confirmed_at: null });
  });

  it("requires --email and a known role", async () => {
    expect((await cli("accounts", "create", "carol")).stderr).toBe("--email is required\n");
    const res = await cli("accounts", "create", "carol", "--email", "c@example.com", "--role", "x");
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Unknown role "x"/);
  });

  it("modifies role, confirmation and disabled state", async () => {
    await cli("accounts", "create", "dave", "--email", "dave@example.com");
    const res = await cli("accounts", "modify", "dave", "--role", "Admin", "--confirm");
    expect(res.code).toBe(0);
    let user = await findUser("dave");
    expect(user?.role).toBe("admin");
    expect(user?.confirmed_at).not.toBeNull();

    expect((await cli("accounts", "modify", "dave", "--disable")).code).toBe(0);
    expect((await findUser("dave"))?.disabled).toBe(true);
    expect((await cli("accounts", "modify", "dave", "--enable", "--role", "User")).code).toBe(0);
    user = await findUser("dave");
    expect(user).toMatchObject({ disabled: false, role: "user" });

    const both = await cli("accounts", "modify", "dave", "--disable", "--enable");
    expect(both.code).toBe(1);
  });

  it("resets a password and revokes the user's tokens", async () => {
    await cli("accounts", "create", "erin", "--email", "erin@example.com", "--confirmed");
    const token = await withDb(async (db) => {
      const user = await db
        .selectFrom("users")
        .select(["account_id"])
        .where("email", "=", "erin@example.com")
        .executeTakeFirstOrThrow();
      const applicationId = newId();
      await db
        .insertInto("oauth_applications")
        .values({
          id: applicationId,
          name: "Test app",
          redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
          scopes: "read write follow push",
          client_id: randomBytes(16).toString("hex"),
          client_secret: randomBytes(16).toString("hex"),
        })
        .execute();
      return issueAccessToken(db, { applicationId, accountId: user.account_id, scopes: ["read"] });
    });
    const res = await cli("accounts", "modify", "erin", "--reset-password");
    expect(res.code).toBe(0);
    const password = newPassword(res.stdout);
    const user = await findUser("erin");
    expect(await verifyPassword(user!.password_hash, password)).toBe(true);
    const revoked = await withDb((db) =>
      db
        .selectFrom("oauth_tokens")
        .select("revoked_at")
        .where("account_id", "=", user!.account_id)
        .execute(),
    );
    expect(token.access_token).toBeTruthy();
    expect(revoked).toHaveLength(1);
    expect(revoked[0]?.revoked_at).not.toBeNull();
  });

  it("deletes an account", async () => {
    await cli("accounts", "create", "frank", "--email", "frank@example.com");
    const res = await cli("accounts", "delete", "frank");
    expect(res.code).toBe(0);
    expect(await findUser("frank")).toBeUndefined();
    const accounts = await withDb((db) =>
      db.selectFrom("accounts").select("id").where("username", "=", "frank").execute(),
    );
    expect(accounts).toHaveLength(0);
    const again = await cli("accounts", "delete", "frank");
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("No user with such username\n");
  });

  it("sets the registration mode", async () => {
    const res = await cli("settings", "registrations", "approval");
    expect(res.code).toBe(0);
    const row = await withDb((db) =>
      db
        .selectFrom("instance_settings")
        .select("value")
        .where("key", "=", "registrations")
        .executeTakeFirst(),
    );
    expect(row?.value).toBe("approval");
    expect((await cli("settings", "registrations", "closed")).code).toBe(0);
    const bad = await cli("settings", "registrations", "sometimes");
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("refuses the embedded database while the server holds it (PostgreSQL: no limit)", async () => {
    // A live process that is neither the CLI nor its parent stands in for the server.
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    const exited = new Promise((r) => sleeper.once("exit", r));
    try {
      writeFileSync(path.join(backend.dataDir, "roost.pid"), `${sleeper.pid}\n`);
      const res = await cli("settings", "registrations", "open");
      if (backend.databaseUrl) {
        expect(res.code).toBe(0);
        return;
      }
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`pid ${sleeper.pid}`);
      expect(res.stderr).toContain("DATABASE_URL");
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      sleeper.kill();
      await exited;
    }
    // Once that process is gone, the stale file no longer blocks the CLI.
    expect((await cli("settings", "registrations", "open")).code).toBe(0);
  });
});
