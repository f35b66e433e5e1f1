// `accounts create|modify|delete`: managing local users from the shell, like tootctl.
// The first admin of a new instance is made here, so these work without any web sign-in.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { sql, type Updateable } from "kysely";
import { createLocalUser, hashPassword } from "../../accounts/local-account-service.ts";
import type { UserRow } from "../../auth/middleware.ts";
import { parseRole } from "../../auth/roles.ts";
import { ApiError } from "../../http/errors.ts";
import type { Db } from "../../infra/db/index.ts";
import { runningServerPid } from "../../infra/db/pid-file.ts";
import type { Role, UsersTable } from "../../infra/db/schema.ts";
import { removeAccount } from "../../moderation/account-actions.ts";
import { revokeAccountTokens } from "../../oauth/access-tokens.ts";
import { createServices } from "../../services.ts";
import { type CliContext, CliError } from "./common.ts";

export const ACCOUNTS_USAGE = `Usage:
  npm run cli -- accounts create <username> --email <address> [--role Owner|Admin|Moderator] [--confirmed]
  npm run cli -- accounts modify <username> [--role Owner|Admin|Moderator|User] [--confirm]
                 [--approve] [--disable] [--enable] [--reset-password]
  npm run cli -- accounts delete <username>

create prints the new user's password. modify --reset-password prints a new one and signs
the user out everywhere (tokens revoked, browser sessions ended).`;

// 128 bits in hex: easy to copy from a terminal, no characters a shell would mangle.
function randomPassword(): string {
  return randomBytes(16).toString("hex");
}

function roleOption(value: string | undefined): Role | undefined {
  if (value === undefined) return undefined;
  const role = parseRole(value);
  if (!role) throw new CliError(`Unknown role "${value}" (use Owner, Admin, Moderator or User)`);
  return role;
}

function oneUsername(positionals: string[]): string {
  const [username, ...extra] = positionals;
  if (!username) throw new CliError("A username is required");
  if (extra.length) throw new CliError(`Unexpected argument "${extra[0]}"`);
  return username.replace(/^@/, "");
}

async function findLocalUser(db: Db, username: string): Promise<UserRow> {
  const user = await db
    .selectFrom("users")
    .innerJoin("accounts", "accounts.id", "users.account_id")
    .selectAll("users")
    .where(sql<string>`lower(accounts.username)`, "=", username.toLowerCase())
    .where("accounts.domain", "is", null)
    .executeTakeFirst();
  if (!user) throw new CliError("No user with such username");
  return user;
}

async function create(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      email: { type: "string" },
      role: { type: "string" },
      confirmed: { type: "boolean", default: false },
    },
  });
  const username = oneUsername(positionals);
  if (!values.email) throw new CliError("--email is required");
  const role = roleOption(values.role) ?? "user";
  const password = randomPassword();
  const { db } = await ctx.database();
  try {
    // Admins may take names kept from sign-ups ("admin", "support"): they are the staff.
    await createLocalUser(
      db,
      ctx.config,
      {
        username,
        email: values.email,
        password,
        role,
        confirmed: values.confirmed,
        approved: true,
      },
      { allowReserved: true },
    );
  } catch (e) {
    // "Validation failed: Username has already been taken" → "Username has already been taken".
    if (e instanceof ApiError) throw new CliError(e.message.replace(/^Validation failed: /, ""));
    throw e;
  }
  ctx.print("OK");
  ctx.print(`New password: ${password}`);
}

async function modify(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      role: { type: "string" },
      confirm: { type: "boolean", default: false },
      approve: { type: "boolean", default: false },
      disable: { type: "boolean", default: false },
      enable: { type: "boolean", default: false },
      "reset-password": { type: "boolean", default: false },
    },
  });
  const username = oneUsername(positionals);
  if (values.disable && values.enable) throw new CliError("Use --disable or --enable, not both");
  const role = roleOption(values.role);
  const { db } = await ctx.database();
  const user = await findLocalUser(db, username);

  const changes: Updateable<UsersTable> = {};
  if (role) changes.role = role;
  if (values.confirm && !user.confirmed_at) {
    changes.confirmed_at = new Date();
    changes.confirmation_token_hash = null;
    // Confirming also completes a pending change of address, as following the mailed link would.
    if (user.unconfirmed_email) {
      changes.email = user.unconfirmed_email;
      changes.unconfirmed_email = null;
    }
  }
  if (values.approve) changes.approved = true;
  if (values.disable) changes.disabled = true;
  if (values.enable) changes.disabled = false;
  let password: string | undefined;
  if (values["reset-password"]) {
    password = randomPassword();
    changes.password_hash = await hashPassword(password);
    changes.reset_password_token_hash = null;
  }
  const nothing =
    !role && !values.confirm && !values.approve && !values.disable && !values.enable && !password;
  if (nothing) throw new CliError("Nothing to change (see accounts --help)");

  await db.transaction().execute(async (trx) => {
    if (Object.keys(changes).length) {
      await trx
        .updateTable("users")
        .set({ ...changes, updated_at: new Date() })
        .where("id", "=", user.id)
        .execute();
    }
    // A new password must lock out whoever knew the old one: every token and browser session.
    if (password) await revokeAccountTokens(trx, user.account_id);
    // A disabled user's browser sessions end; API tokens are refused while disabled (and work
    // again after --enable, as in Mastodon).
    if (password || values.disable) {
      await trx.deleteFrom("web_sessions").where("user_id", "=", user.id).execute();
    }
  });
  ctx.print("OK");
  if (password) ctx.print(`New password: ${password}`);
}

async function remove(args: string[], ctx: CliContext): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const username = oneUsername(positionals);
  // Full services, not just the database: the actor Delete for other servers is queued
  // (delivered by the workers, now or when the server next runs). Opened instead of
  // ctx.database(), so the embedded database has one owner, as there.
  if (!ctx.config.databaseUrl) {
    const pid = runningServerPid(ctx.config.dataDir);
    if (pid !== undefined) {
      throw new CliError(
        `The Roost server (pid ${pid}) is using the embedded database in ${ctx.config.dataDir}; stop it first`,
      );
    }
  }
  const services = await createServices(ctx.config);
  try {
    const user = await findLocalUser(services.db, username);
    const account = await services.db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", user.account_id)
      .executeTakeFirstOrThrow();
    // Queues the actor Delete, then removes the account (the row cascades to the user,
    // keys, tokens, grants, sessions and apps). TODO: keep a tombstone so the username
    // is not reused.
    await removeAccount(services, account);
  } finally {
    await services.close();
  }
  ctx.print("OK");
}

export async function accountsCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h" || rest.includes("--help")) {
    ctx.print(ACCOUNTS_USAGE);
    return;
  }
  if (sub === "create") return create(rest, ctx);
  if (sub === "modify") return modify(rest, ctx);
  if (sub === "delete") return remove(rest, ctx);
  throw new CliError(`Unknown accounts command "${sub}" (see accounts --help)`);
}
