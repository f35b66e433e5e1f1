// Staff actions on accounts (Mastodon's Admin::AccountAction and the single-purpose admin
// endpoints), with Mastodon's permission rules: acting on someone needs a role that ranks
// above theirs, access changes (disable, approve) need manage_user_access, deleting data
// needs delete_user_data. Each action is audited in its own transaction; what it does to
// other servers (the actor Delete, the Update after unsuspension) follows after commit.
import { sql } from "kysely";
import { acctOf } from "../accounts/serializers.ts";
import { uncountAccount } from "../accounts/uncount.ts";
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import { hasPermission, outranks, type Permission } from "../auth/roles.ts";
import { announceRevocation } from "../auth/token-cache.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import { queueMail } from "../mail/send.ts";
import type { Services } from "../services.ts";
import { findAdminAccount } from "./admin-accounts.ts";
import { recordAction } from "./audit-log.ts";
import { getReport, resolveReportsFor } from "./reports.ts";
import { warningMail } from "./warning-mail.ts";

export const ACTION_TYPES = ["none", "sensitive", "disable", "silence", "suspend"] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export interface Staff {
  account: AccountRow;
  user: UserRow;
}

interface Target {
  account: AccountRow;
  user: UserRow | null;
}

function mustHave(staff: Staff, permission: Permission): void {
  if (!hasPermission(staff.user.role, permission)) throw ApiError.forbidden();
}

/** Mastodon's `role.overrides?(target.role)`: remote accounts rank as plain users. */
function requireOutranks(staff: Staff, target: Target): void {
  if (
    target.account.id === staff.account.id ||
    !outranks(staff.user.role, target.user?.role ?? "user")
  ) {
    throw ApiError.forbidden();
  }
}

function localUser(target: Target): UserRow {
  if (!target.user) throw ApiError.unprocessable("Validation failed: Account is not local");
  return target.user;
}

async function audit(
  db: Db,
  staff: Staff,
  action: string,
  target: Target,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAction(db, {
    accountId: staff.account.id,
    action,
    targetType: "Account",
    targetId: target.account.id,
    humanIdentifier: acctOf(target.account),
    details,
  });
}

export interface ActionInput {
  type: ActionType;
  reportId?: string;
  warningPresetId?: string;
  text?: string;
  sendEmailNotification?: boolean;
}

/** POST /api/v1/admin/accounts/:id/action. */
export async function performAccountAction(
  services: Services,
  staff: Staff,
  accountId: string,
  input: ActionInput,
): Promise<void> {
  const { db } = services;
  const target = await findAdminAccount(db, accountId);
  if (input.type === "disable") {
    mustHave(staff, "manage_user_access");
    localUser(target);
  } else {
    // manage_reports is enough for warnings and the moderation actions, as in Mastodon.
    if (!hasPermission(staff.user.role, "manage_users")) mustHave(staff, "manage_reports");
  }
  requireOutranks(staff, target);
  if (input.reportId !== undefined) {
    const report = await getReport(db, input.reportId).catch(() => null);
    if (!report || report.target_account_id !== target.account.id) {
      throw ApiError.unprocessable("Validation failed: Report does not concern this account");
    }
  }
  const now = new Date();
  const newlySuspended = input.type === "suspend" && target.account.suspended_at === null;
  await db.transaction().execute(async (trx) => {
    switch (input.type) {
      case "sensitive":
        await trx
          .updateTable("accounts")
          .set({ sensitized_at: now })
          .where("id", "=", target.account.id)
          .where("sensitized_at", "is", null)
          .execute();
        break;
      case "silence":
        await trx
          .updateTable("accounts")
          .set({ silenced_at: now })
          .where("id", "=", target.account.id)
          .where("silenced_at", "is", null)
          .execute();
        break;
      case "suspend":
        await trx
          .updateTable("accounts")
          .set({ suspended_at: now })
          .where("id", "=", target.account.id)
          .where("suspended_at", "is", null)
          .execute();
        break;
      case "disable":
        await trx
          .updateTable("users")
          .set({ disabled: true })
          .where("account_id", "=", target.account.id)
          .execute();
        break;
      case "none":
        break;
    }
    // As Mastodon: a real action closes every open report against the account; a warning
    // closes only the report it was given on.
    if (input.type !== "none" || input.reportId !== undefined) {
      const resolved = await resolveReportsFor(trx, staff.account.id, {
        accountId: target.account.id,
        reportId: input.type === "none" ? input.reportId : undefined,
      });
      for (const reportId of resolved) {
        await recordAction(trx, {
          accountId: staff.account.id,
          action: "resolve",
          targetType: "Report",
          targetId: reportId,
          humanIdentifier: `#${reportId}`,
        });
      }
    }
    await audit(trx, staff, input.type === "none" ? "warn" : input.type, target, {
      ...(input.reportId ? { report_id: input.reportId } : {}),
      ...(input.warningPresetId ? { warning_preset_id: input.warningPresetId } : {}),
      ...(input.text ? { text: input.text } : {}),
    });
  });
  if (input.type === "suspend" || input.type === "disable") {
    // Signed out everywhere in the browser; API tokens are refused while the state lasts.
    if (target.user) {
      await db.deleteFrom("web_sessions").where("user_id", "=", target.user.id).execute();
      // Open streaming connections close now, on every process, not at the next token check.
      await announceRevocation(services, { accountIds: [target.account.id] });
    }
  }
  // As Mastodon, a local user is told by mail unless staff ask not to.
  if (target.user && input.sendEmailNotification !== false) {
    const settings = await getInstanceSettings(db, services.config);
    await queueMail(
      services,
      warningMail(
        { title: settings.title, publicUrl: services.config.publicUrl },
        {
          to: target.user.email,
          username: target.account.username,
          action: input.type,
          text: input.text,
        },
      ),
    );
  }
  if (newlySuspended) {
    await emitEvent(services, "account.suspended", { accountId: target.account.id });
  }
}

export type UndoKind = "unsuspend" | "unsilence" | "unsensitive" | "enable";

/** POST /:id/unsuspend|unsilence|unsensitive|enable; returns the updated target. */
export async function undoAccountAction(
  services: Services,
  staff: Staff,
  accountId: string,
  kind: UndoKind,
): Promise<string> {
  const { db } = services;
  const target = await findAdminAccount(db, accountId);
  if (kind === "enable") {
    mustHave(staff, "manage_user_access");
    localUser(target);
  } else {
    mustHave(staff, "manage_users");
  }
  const wasSuspended = target.account.suspended_at !== null;
  await db.transaction().execute(async (trx) => {
    if (kind === "enable") {
      await trx
        .updateTable("users")
        .set({ disabled: false })
        .where("account_id", "=", target.account.id)
        .execute();
    } else {
      const column = {
        unsuspend: "suspended_at",
        unsilence: "silenced_at",
        unsensitive: "sensitized_at",
      }[kind] as "suspended_at" | "silenced_at" | "sensitized_at";
      await trx
        .updateTable("accounts")
        .set({ [column]: null, updated_at: new Date() })
        .where("id", "=", target.account.id)
        .execute();
    }
    await audit(trx, staff, kind, target);
  });
  // Servers that deleted the actor on suspension learn it is back.
  if (kind === "unsuspend" && wasSuspended && target.account.domain === null) {
    await emitEvent(services, "account.updated", { accountId: target.account.id });
  }
  return target.account.id;
}

/** A sign-up waiting for approval (registrations in approval mode). */
function pendingUser(target: Target): UserRow {
  const user = localUser(target);
  if (user.approved) throw ApiError.forbidden("This account is not pending approval");
  return user;
}

export async function approveAccount(services: Services, staff: Staff, accountId: string) {
  mustHave(staff, "manage_user_access");
  const target = await findAdminAccount(services.db, accountId);
  const user = pendingUser(target);
  await services.db.transaction().execute(async (trx) => {
    await trx.updateTable("users").set({ approved: true }).where("id", "=", user.id).execute();
    await audit(trx, staff, "approve", target);
  });
}

/** Rejecting a sign-up deletes it: it never federated, so nothing is sent anywhere. */
export async function rejectAccount(services: Services, staff: Staff, accountId: string) {
  mustHave(staff, "manage_user_access");
  const target = await findAdminAccount(services.db, accountId);
  pendingUser(target);
  await services.db.transaction().execute(async (trx) => {
    await audit(trx, staff, "reject", target, { email: target.user?.email });
    await trx.deleteFrom("accounts").where("id", "=", target.account.id).execute();
  });
  return target;
}

/** DELETE /api/v1/admin/accounts/:id: only an already suspended account's data goes. */
export async function deleteAccountData(services: Services, staff: Staff, accountId: string) {
  mustHave(staff, "delete_user_data");
  const target = await findAdminAccount(services.db, accountId);
  if (target.account.suspended_at === null) throw ApiError.forbidden();
  await audit(services.db, staff, "destroy", target);
  await removeAccount(services, target.account, { tombstone: true });
  return target;
}

/**
 * Removes an account and everything it made. A local one is suspended first and its
 * actor Delete queued (the keys go with the queued deliveries), so other servers remove
 * their copies. With `tombstone` (the admin API, as Mastodon) the suspended account row
 * stays, emptied, so the name is not taken again and a remote actor that returns is still
 * suspended; otherwise (the CLI) the row goes too.
 */
export async function removeAccount(
  services: Services,
  account: AccountRow,
  options: { tombstone?: boolean } = {},
): Promise<void> {
  const { db } = services;
  if (account.domain === null) {
    await db
      .updateTable("accounts")
      .set({ suspended_at: account.suspended_at ?? new Date() })
      .where("id", "=", account.id)
      .execute();
    const { sendActorDeletion } = await import("../../federation/outbox.ts");
    await sendActorDeletion(services, account.id);
    await announceRevocation(services, { accountIds: [account.id] });
  }
  await db.transaction().execute(async (trx) => {
    await uncountAccount(trx, account.id);
    if (options.tombstone) await purgeKeepingRow(trx, account.id);
    else await trx.deleteFrom("accounts").where("id", "=", account.id).execute();
  });
  await emitEvent(services, "account.deleted", {
    accountId: account.id,
    uri: account.uri,
    local: account.domain === null,
  });
}

/** Kept with a tombstone: the evidence (reports, the audit log) and the keys. */
const KEPT_TABLES = new Set(["accounts", "reports", "admin_action_logs", "account_keys"]);

/**
 * Does to every table what deleting the account row would (the foreign keys' own rules:
 * cascade deletes, set null clears), except to the row itself and KEPT_TABLES. Read from
 * the catalog, so tables that features add later are covered without listing them here.
 */
async function purgeKeepingRow(trx: Db, id: string): Promise<void> {
  const refs = await sql<{ table_name: string; column_name: string; rule: string }>`
    select cl.relname as table_name, att.attname as column_name, con.confdeltype as rule
    from pg_constraint con
    join pg_class cl on cl.oid = con.conrelid
    join pg_attribute att on att.attrelid = con.conrelid and att.attnum = con.conkey[1]
    where con.contype = 'f' and con.confrelid = 'accounts'::regclass
      and array_length(con.conkey, 1) = 1`.execute(trx);
  for (const ref of refs.rows) {
    if (KEPT_TABLES.has(ref.table_name)) continue;
    const table = sql.table(ref.table_name);
    const column = sql.ref(ref.column_name);
    if (ref.rule === "c") await sql`delete from ${table} where ${column} = ${id}`.execute(trx);
    else if (ref.rule === "n") {
      await sql`update ${table} set ${column} = null where ${column} = ${id}`.execute(trx);
    }
  }
  await trx
    .updateTable("accounts")
    .set({
      display_name: "",
      note: "",
      avatar_url: null,
      header_url: null,
      fields: JSON.stringify([]),
      also_known_as: JSON.stringify([]),
      followers_count: 0,
      following_count: 0,
      statuses_count: 0,
      last_status_at: null,
      updated_at: new Date(),
    })
    .where("id", "=", id)
    .execute();
}
