// Small conversions shared by the federation code.
import { Temporal as Polyfill } from "@js-temporal/polyfill";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { Db } from "../src/infra/db/index.ts";

/** Fedify's types name the built-in Temporal; at run time it is the polyfill (Node 24). */
export function toInstant(date: Date | string): Temporal.Instant {
  return Polyfill.Instant.fromEpochMilliseconds(
    new Date(date).getTime(),
  ) as unknown as Temporal.Instant;
}

export function fromInstant(instant: Temporal.Instant | null | undefined): Date | null {
  return instant ? new Date(instant.epochMilliseconds) : null;
}

/** The identifier of the instance actor; local usernames cannot contain a dot. */
export const INSTANCE_ACTOR = "instance.actor";

/** A local, not suspended account by username (case-insensitive). */
export async function findLocalAccount(db: Db, username: string): Promise<AccountRow | undefined> {
  if (!/^[A-Za-z0-9_]+$/.test(username)) return undefined;
  return await db
    .selectFrom("accounts")
    .selectAll()
    .where("domain", "is", null)
    .where((eb) => eb(eb.fn("lower", ["username"]), "=", username.toLowerCase()))
    .where("suspended_at", "is", null)
    .executeTakeFirst();
}

/** A stored account as a delivery target. */
export function recipientOf(
  account: Pick<AccountRow, "uri" | "inbox_url" | "shared_inbox_url">,
): import("@fedify/vocab").Recipient {
  return {
    id: new URL(account.uri),
    inboxId: account.inbox_url ? new URL(account.inbox_url) : null,
    endpoints: account.shared_inbox_url ? { sharedInbox: new URL(account.shared_inbox_url) } : null,
  };
}
