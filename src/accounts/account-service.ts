// Reading accounts the way the API exposes them (by id, by handle, by search) and editing
// one's own profile (update_credentials). Notes and fields are stored as the plain text the
// user typed; serializeAccount renders them to HTML on the way out.
import { sql } from "kysely";
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { AccountField } from "../infra/db/schema.ts";
import { deleteProfileImage, storeProfileImage } from "../media/profile-images.ts";
import { acceptFollowRequest } from "../relationships/follow-service.ts";
import type { Services } from "../services.ts";
import { findAccountByHandle } from "./resolve.ts";

const MAX_BIGINT = 9223372036854775807n;

/** Whether `id` can be an account id at all; anything else is simply not found. */
export function isAccountId(id: string): boolean {
  return /^\d{1,19}$/.test(id) && BigInt(id) <= MAX_BIGINT;
}

/**
 * The account with this id as the API may show it, or a 404: unknown ids, and local
 * accounts whose user is not confirmed or approved yet (Mastodon hides those too).
 * Suspended accounts are returned; the serializer shows them emptied.
 */
export async function getAccount(db: Db, id: string): Promise<AccountRow> {
  if (!isAccountId(id)) throw ApiError.notFound("Record not found");
  const account = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!account || !(await isPublic(db, account))) throw ApiError.notFound("Record not found");
  return account;
}

async function isPublic(db: Db, account: AccountRow): Promise<boolean> {
  if (account.domain !== null) return true;
  const user = await db
    .selectFrom("users")
    .select(["confirmed_at", "approved"])
    .where("account_id", "=", account.id)
    .executeTakeFirst();
  // Local accounts without a user are system actors; they are public.
  return !user || (user.confirmed_at !== null && user.approved);
}

/** Splits `user`, `@user`, `user@domain` and `@user@domain`; undefined when it is none of these. */
export function parseHandle(acct: string): { username: string; domain: string | null } | undefined {
  const match = acct
    .trim()
    .match(/^@?([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)(?:@([^@\s/]+))?$/);
  if (!match) return undefined;
  return { username: match[1]!, domain: match[2] ?? null };
}

/** GET /api/v1/accounts/lookup: a known account by handle, without asking remote servers. */
export async function lookupAccount(services: Services, acct: string): Promise<AccountRow> {
  const handle = parseHandle(acct);
  const account = handle && (await findAccountByHandle(services, handle.username, handle.domain));
  if (!account || !(await isPublic(services.db, account))) {
    throw ApiError.notFound("Record not found");
  }
  return account;
}

export interface AccountSearch {
  q: string;
  limit: number;
  offset: number;
  resolve: boolean;
  following: boolean;
}

/**
 * Accounts whose username or display name (or a word in it) starts with `q`; a full
 * handle matches exactly first and, with `resolve`, may be fetched from its server.
 * Suspended accounts and accounts blocked either way are left out.
 */
export async function searchAccounts(
  services: Services,
  viewer: AccountRow,
  search: AccountSearch,
): Promise<AccountRow[]> {
  const q = search.q.trim().replace(/^@/, "");
  if (!q) return [];
  const handle = parseHandle(q);
  let exact: AccountRow | undefined;
  if (handle?.domain && search.offset === 0) {
    exact = await findAccountByHandle(services, handle.username, handle.domain, {
      resolve: search.resolve,
    });
    if (
      exact &&
      (exact.suspended_at ||
        (search.following && !(await follows(services.db, viewer.id, exact.id))))
    ) {
      exact = undefined;
    }
  }

  const term = (handle?.domain ? handle.username : q).toLowerCase();
  const pattern = `${escapeLike(term)}%`;
  const local = services.config.domain.toLowerCase();
  let query = services.db
    .selectFrom("accounts")
    .selectAll("accounts")
    .where("accounts.suspended_at", "is", null)
    .where((eb) =>
      eb.or([
        eb(sql<string>`lower(accounts.username)`, "like", pattern),
        eb(sql<string>`lower(accounts.display_name)`, "like", pattern),
        eb(sql<string>`lower(accounts.display_name)`, "like", `% ${pattern}`),
      ]),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("blocks")
            .select(sql.lit(1).as("one"))
            .where((b) =>
              b.or([
                b.and([
                  b("blocks.account_id", "=", viewer.id),
                  b("blocks.target_account_id", "=", b.ref("accounts.id")),
                ]),
                b.and([
                  b("blocks.target_account_id", "=", viewer.id),
                  b("blocks.account_id", "=", b.ref("accounts.id")),
                ]),
              ]),
            ),
        ),
      ),
    );
  if (handle?.domain) {
    query =
      handle.domain.toLowerCase() === local
        ? query.where("accounts.domain", "is", null)
        : query.where(
            sql<string>`lower(accounts.domain)`,
            "like",
            `${escapeLike(handle.domain.toLowerCase())}%`,
          );
  }
  if (search.following) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom("follows")
          .select(sql.lit(1).as("one"))
          .where("follows.account_id", "=", viewer.id)
          .whereRef("follows.target_account_id", "=", "accounts.id"),
      ),
    );
  }
  const rows = await query
    // Exact username first, then local accounts, then the better-followed.
    .orderBy(sql`lower(accounts.username) = ${term}`, "desc")
    .orderBy(sql`accounts.domain is null`, "desc")
    .orderBy("accounts.followers_count", "desc")
    .orderBy("accounts.id")
    .offset(search.offset)
    .limit(search.limit)
    .execute();
  if (!exact) return rows;
  return [exact, ...rows.filter((r) => r.id !== exact.id)].slice(0, search.limit);
}

async function follows(db: Db, accountId: string, targetId: string): Promise<boolean> {
  const row = await db
    .selectFrom("follows")
    .select("id")
    .where("account_id", "=", accountId)
    .where("target_account_id", "=", targetId)
    .executeTakeFirst();
  return row !== undefined;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** What update_credentials may change; absent keys are left as they are. */
export interface ProfileChanges {
  display_name?: string;
  note?: string;
  locked?: boolean;
  bot?: boolean;
  discoverable?: boolean;
  indexable?: boolean;
  hide_collections?: boolean;
  fields?: { name: string; value: string }[];
  source?: { privacy?: string; sensitive?: boolean; language?: string | null };
  /** New avatar or header uploads; processed and stored before the transaction. */
  avatar?: File;
  header?: File;
}

/**
 * Applies profile changes (validated by the handler) to the signed-in account and its
 * user settings in one transaction, then emits account.updated. Unlocking an account
 * accepts the requests that were waiting, as Mastodon does.
 */
export async function updateProfile(
  services: Services,
  accountId: string,
  changes: ProfileChanges,
): Promise<{ account: AccountRow; user: UserRow }> {
  // Image processing happens outside the transaction: it takes a while and holds no rows.
  const images: { avatar_url?: string; header_url?: string } = {};
  if (changes.avatar) {
    images.avatar_url = await storeProfileImage(services, accountId, "avatar", changes.avatar);
  }
  if (changes.header) {
    images.header_url = await storeProfileImage(services, accountId, "header", changes.header);
  }
  const result = await services.db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom("accounts")
      .select(["locked", "fields", "avatar_url", "header_url"])
      .where("id", "=", accountId)
      .executeTakeFirstOrThrow();
    const user = await trx
      .selectFrom("users")
      .selectAll()
      .where("account_id", "=", accountId)
      .executeTakeFirstOrThrow();
    const set: Record<string, unknown> = { updated_at: new Date(), ...images };
    for (const key of [
      "display_name",
      "note",
      "locked",
      "bot",
      "discoverable",
      "indexable",
      "hide_collections",
    ] as const) {
      if (changes[key] !== undefined) set[key] = changes[key];
    }
    if (changes.fields) {
      // Keep a link's verification only while the field is unchanged.
      const fields: AccountField[] = changes.fields.map((f) => ({
        name: f.name,
        value: f.value,
        verified_at:
          before.fields.find((old) => old.name === f.name && old.value === f.value)?.verified_at ??
          null,
      }));
      set.fields = JSON.stringify(fields);
    }
    const account = await trx
      .updateTable("accounts")
      .set(set)
      .where("id", "=", accountId)
      .returningAll()
      .executeTakeFirstOrThrow();
    let updatedUser = user;
    if (changes.source) {
      const settings = { ...user.settings };
      const { privacy, sensitive, language } = changes.source;
      if (privacy !== undefined) settings.default_privacy = privacy;
      if (sensitive !== undefined) settings.default_sensitive = sensitive;
      if (language !== undefined) settings.default_language = language;
      updatedUser = await trx
        .updateTable("users")
        .set({ settings: JSON.stringify(settings), updated_at: new Date() })
        .where("id", "=", user.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    return {
      account,
      user: updatedUser,
      unlocked: before.locked && !account.locked,
      replaced: [
        images.avatar_url ? before.avatar_url : null,
        images.header_url ? before.header_url : null,
      ],
    };
  });
  for (const url of result.replaced) await deleteProfileImage(services, url);

  await emitEvent(services, "account.updated", { accountId });
  if (result.unlocked) {
    const pending = await services.db
      .selectFrom("follow_requests")
      .select("account_id")
      .where("target_account_id", "=", accountId)
      .orderBy("id")
      .execute();
    for (const { account_id } of pending) {
      try {
        await acceptFollowRequest(services, account_id, accountId);
      } catch (err) {
        // Withdrawn meanwhile: nothing to accept.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    if (pending.length) {
      const account = await services.db
        .selectFrom("accounts")
        .selectAll()
        .where("id", "=", accountId)
        .executeTakeFirstOrThrow();
      return { account, user: result.user };
    }
  }
  return { account: result.account, user: result.user };
}

/** Pending follow requests to an account (CredentialAccount's source.follow_requests_count). */
export async function countFollowRequests(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom("follow_requests")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("target_account_id", "=", accountId)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** DELETE /api/v1/profile/avatar|header: back to the default picture. */
export async function removeProfileImage(
  services: Services,
  accountId: string,
  kind: "avatar" | "header",
): Promise<void> {
  const column = kind === "avatar" ? "avatar_url" : "header_url";
  const before = await services.db
    .selectFrom("accounts")
    .select(column)
    .where("id", "=", accountId)
    .executeTakeFirstOrThrow();
  const url = (before as Record<string, string | null>)[column] ?? null;
  if (!url) return;
  await services.db
    .updateTable("accounts")
    .set({ [column]: null, updated_at: new Date() })
    .where("id", "=", accountId)
    .execute();
  await deleteProfileImage(services, url);
  await emitEvent(services, "account.updated", { accountId });
}
