// Admin::Account: an account as staff see it (email, sign-up IP, moderation state), and
// the account lists of the admin API with Mastodon's v1 and v2 filters.
import { type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import { type AccountEntity, serializeAccount } from "../accounts/serializers.ts";
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import { type RoleEntity, roleEntity } from "../auth/roles.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import type { Database, Role } from "../infra/db/schema.ts";

export interface AdminAccountEntity {
  id: string;
  username: string;
  domain: string | null;
  created_at: string;
  email: string;
  ip: string | null;
  ips: { ip: string; used_at: string }[];
  locale: string;
  invite_request: string | null;
  role: RoleEntity;
  confirmed: boolean;
  approved: boolean;
  disabled: boolean;
  silenced: boolean;
  suspended: boolean;
  sensitized: boolean;
  account: AccountEntity;
}

/**
 * Remote accounts have no user: Mastodon sends null for email, locale and role there, which
 * its own documented schema does not allow. Roost sends an empty email, "en" and the
 * "everyone" role instead, so strict clients can parse every entry of a mixed list.
 */
export function serializeAdminAccount(
  account: AccountRow,
  user: UserRow | null,
  config: Pick<Config, "publicUrl">,
): AdminAccountEntity {
  const ips = user?.sign_up_ip
    ? [{ ip: user.sign_up_ip, used_at: (user.last_sign_in_at ?? user.created_at).toISOString() }]
    : [];
  return {
    id: account.id,
    username: account.username,
    domain: account.domain,
    created_at: account.created_at.toISOString(),
    email: user?.email ?? "",
    ip: user?.sign_up_ip ?? null,
    ips,
    // The schema wants a language code; remote accounts get the default users start with.
    locale: user?.locale || "en",
    invite_request: user?.reason ?? null,
    role: roleEntity(user?.role ?? "user"),
    confirmed: user ? user.confirmed_at !== null : false,
    approved: user ? user.approved : false,
    disabled: user ? user.disabled : false,
    silenced: account.silenced_at !== null,
    suspended: account.suspended_at !== null,
    sensitized: account.sensitized_at !== null,
    // Staff see the profile as it is, even when suspended (the public view hides it).
    account: serializeAccount({ ...account, suspended_at: null }, config, { user }),
  };
}

/** Loads accounts with their users for serializing, keeping `ids`' order. */
export async function loadAdminAccounts(
  db: Db,
  ids: string[],
): Promise<Map<string, { account: AccountRow; user: UserRow | null }>> {
  const out = new Map<string, { account: AccountRow; user: UserRow | null }>();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return out;
  const [accounts, users] = await Promise.all([
    db.selectFrom("accounts").selectAll().where("id", "in", unique).execute(),
    db.selectFrom("users").selectAll().where("account_id", "in", unique).execute(),
  ]);
  const userOf = new Map(users.map((u) => [u.account_id, u]));
  for (const a of accounts) out.set(a.id, { account: a, user: userOf.get(a.id) ?? null });
  return out;
}

export async function adminAccountEntities(
  db: Db,
  config: Pick<Config, "publicUrl">,
  ids: string[],
): Promise<AdminAccountEntity[]> {
  const loaded = await loadAdminAccounts(db, ids);
  return ids.flatMap((id) => {
    const found = loaded.get(id);
    return found ? [serializeAdminAccount(found.account, found.user, config)] : [];
  });
}

/** An account for the admin API: any account, suspended or not; 404 if none. */
export async function findAdminAccount(
  db: Db,
  id: string,
): Promise<{ account: AccountRow; user: UserRow | null }> {
  if (!/^\d{1,19}$/.test(id)) throw ApiError.notFound();
  const found = (await loadAdminAccounts(db, [id])).get(id);
  if (!found) throw ApiError.notFound();
  return found;
}

/** The filters of both list versions, after translating v1's booleans. */
export interface AccountFilter {
  origin?: "local" | "remote";
  status?: "active" | "pending" | "disabled" | "silenced" | "suspended" | "sensitized";
  staff?: boolean;
  roles?: Role[];
  /** invited_by: Roost has no invites yet, so asking for it matches nothing. */
  invitedBy?: string;
  username?: string;
  displayName?: string;
  byDomain?: string;
  email?: string;
  ip?: string;
}

type Query = SelectQueryBuilder<Database, "accounts" | "users", AccountRow>;
type Scope = ExpressionBuilder<Database, "accounts" | "users">;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (m) => `\\${m}`);
}

function statusCondition(status: NonNullable<AccountFilter["status"]>) {
  return (eb: Scope) => {
    switch (status) {
      case "active":
        return eb("accounts.suspended_at", "is", null);
      case "pending":
        return eb.and([eb("users.approved", "=", false), eb("accounts.suspended_at", "is", null)]);
      case "disabled":
        return eb("users.disabled", "=", true);
      case "silenced":
        return eb("accounts.silenced_at", "is not", null);
      case "suspended":
        return eb("accounts.suspended_at", "is not", null);
      case "sensitized":
        return eb("accounts.sensitized_at", "is not", null);
    }
  };
}

export async function listAdminAccounts(
  db: Db,
  filter: AccountFilter,
  page: PageParams,
): Promise<string[]> {
  // Users are joined for local-only filters; remote accounts have none.
  let query: Query = db
    .selectFrom("accounts")
    .leftJoin("users", "users.account_id", "accounts.id")
    .selectAll("accounts");
  if (filter.invitedBy !== undefined) return [];
  if (filter.origin === "local") query = query.where("accounts.domain", "is", null);
  if (filter.origin === "remote") query = query.where("accounts.domain", "is not", null);
  if (filter.status) query = query.where(statusCondition(filter.status));
  if (filter.staff) query = query.where("users.role", "in", ["moderator", "admin", "owner"]);
  if (filter.roles) {
    if (filter.roles.length === 0) return [];
    query = query.where((eb) =>
      filter.roles!.includes("user")
        ? eb.or([eb("users.role", "in", filter.roles!), eb("users.role", "is", null)])
        : eb("users.role", "in", filter.roles!),
    );
  }
  if (filter.username) {
    query = query.where(
      sql<string>`lower(accounts.username)`,
      "like",
      `${escapeLike(filter.username.toLowerCase())}%`,
    );
  }
  if (filter.displayName) {
    query = query.where(
      sql<string>`lower(accounts.display_name)`,
      "like",
      `%${escapeLike(filter.displayName.toLowerCase())}%`,
    );
  }
  if (filter.byDomain) {
    query = query.where(
      sql<string>`lower(accounts.domain)`,
      "like",
      `%${escapeLike(filter.byDomain.toLowerCase())}%`,
    );
  }
  if (filter.email) {
    query = query.where(
      sql<string>`lower(users.email)`,
      "like",
      `%${escapeLike(filter.email.toLowerCase())}%`,
    );
  }
  if (filter.ip) {
    // A single address or a CIDR range, as Mastodon's filter takes.
    const ip = filter.ip.trim();
    query = query.where(
      sql<SqlBool>`(users.sign_up_ip is not null and users.sign_up_ip::inet <<= ${ip}::inet)`,
    );
  }
  if (page.maxId) query = query.where("accounts.id", "<", page.maxId);
  if (page.sinceId) query = query.where("accounts.id", ">", page.sinceId);
  if (page.minId) {
    const rows = await query
      .where("accounts.id", ">", page.minId)
      .orderBy("accounts.id", "asc")
      .limit(page.limit)
      .execute();
    return rows.map((r) => r.id).reverse();
  }
  const rows = await query.orderBy("accounts.id", "desc").limit(page.limit).execute();
  return rows.map((r) => r.id);
}
