// A user's own domain blocks (Mastodon's account domain blocks). Reading paths hide the
// domain's statuses (visibleTo in src/statuses/visibility.ts) and notifications
// (src/notifications); blocking also ends the follows between the user and the domain's
// accounts both ways, and drops pending requests from there, as Mastodon's
// AfterBlockDomainFromAccountService does.
import { domainToASCII } from "node:url";
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";
import {
  rejectFollowRequest,
  removeFromFollowers,
  unfollowAccount,
} from "../relationships/follow-service.ts";
import type { Services } from "../services.ts";
import { applyPage } from "../timelines/paging.ts";

/**
 * A domain as accounts.domain stores it: lowercase, IDNA, no scheme, path or trailing dot
 * (a port is kept: it is part of the stored domain). Null when it is not a host.
 */
export function normalizeUserDomain(input: string): string | null {
  let value = input.trim().toLowerCase();
  if (value.includes("://")) {
    try {
      value = new URL(value).host;
    } catch {
      return null;
    }
  }
  value = value.replace(/\/.*$/, "");
  const match = /^([^:]+?)\.?(:\d{1,5})?$/.exec(value);
  if (!match) return null;
  const host = domainToASCII(match[1]!);
  if (!host || host.length > 253 || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(host)) return null;
  return host + (match[2] ?? "");
}

function parseDomain(services: Services, input: unknown): string {
  if (typeof input !== "string" || input.trim() === "") {
    throw ApiError.unprocessable("Validation failed: Domain can't be blank");
  }
  const domain = normalizeUserDomain(input);
  if (!domain) throw ApiError.unprocessable("Validation failed: Domain is not a valid domain");
  if (domain === services.config.domain.toLowerCase()) {
    throw ApiError.unprocessable("Validation failed: Domain cannot be your own server");
  }
  return domain;
}

/**
 * The accounts of `domain` across `table` from the user: with `userColumn` "account_id"
 * those the user follows (or asked to), with "target_account_id" those following the user.
 */
function domainPeers(
  db: Db,
  table: "follows" | "follow_requests",
  userColumn: "account_id" | "target_account_id",
  userId: string,
  domain: string,
): Promise<{ id: string }[]> {
  const peerColumn = userColumn === "account_id" ? "target_account_id" : "account_id";
  return db
    .selectFrom(table)
    .innerJoin("accounts", "accounts.id", `${table}.${peerColumn}`)
    .select(sql.ref<string>(`${table}.${peerColumn}`).as("id"))
    .where(sql.ref(`${table}.${userColumn}`), "=", userId)
    .where("accounts.domain", "=", domain)
    .execute();
}

export async function blockDomain(
  services: Services,
  account: AccountRow,
  input: unknown,
): Promise<void> {
  const { db } = services;
  const domain = parseDomain(services, input);
  await db
    .insertInto("account_domain_blocks")
    .values({ id: newId(), account_id: account.id, domain })
    .onConflict((oc) => oc.columns(["account_id", "domain"]).doNothing())
    .execute();

  // Each follow goes through the follow service, so remote servers hear Undo / Reject.
  const [following, followers, requests] = await Promise.all([
    domainPeers(db, "follows", "account_id", account.id, domain),
    domainPeers(db, "follows", "target_account_id", account.id, domain),
    domainPeers(db, "follow_requests", "target_account_id", account.id, domain),
  ]);
  for (const { id } of following) await unfollowAccount(services, account.id, id);
  for (const { id } of followers) await removeFromFollowers(services, account.id, id);
  for (const { id } of requests) {
    await rejectFollowRequest(services, id, account.id).catch((err: unknown) => {
      // Withdrawn meanwhile: nothing left to reject.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    });
  }
  // Pending requests the user sent there are withdrawn too.
  const sent = await domainPeers(db, "follow_requests", "account_id", account.id, domain);
  for (const { id } of sent) await unfollowAccount(services, account.id, id);
}

export async function unblockDomain(
  services: Services,
  account: AccountRow,
  input: unknown,
): Promise<void> {
  const domain = parseDomain(services, input);
  await services.db
    .deleteFrom("account_domain_blocks")
    .where("account_id", "=", account.id)
    .where("domain", "=", domain)
    .execute();
}

export async function listDomainBlocks(
  services: Services,
  account: AccountRow,
  page: PageParams,
): Promise<{ id: string; domain: string }[]> {
  const { query, reverse } = applyPage(
    services.db
      .selectFrom("account_domain_blocks")
      .select(["account_domain_blocks.id", "account_domain_blocks.domain"])
      .where("account_domain_blocks.account_id", "=", account.id),
    "account_domain_blocks.id",
    page,
  );
  const rows = await query.execute();
  return reverse ? rows.reverse() : rows;
}
