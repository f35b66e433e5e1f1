// Sign-up refusals by email: email domain blocks (the address's domain or a parent of it;
// Mastodon's EmailDomainBlock) and canonical email blocks (one address in all its
// spellings, stored only as a hash; Mastodon's CanonicalEmailBlock).
import { createHash } from "node:crypto";
import { type Selectable, sql } from "kysely";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { CanonicalEmailBlocksTable, EmailDomainBlocksTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { recordAction } from "./audit-log.ts";
import { domainAndParents, normalizeDomain } from "./domain-policy.ts";
import { ipBlockSeverityFor } from "./ip-blocks.ts";

export type EmailDomainBlockRow = Selectable<EmailDomainBlocksTable>;
export type CanonicalEmailBlockRow = Selectable<CanonicalEmailBlocksTable>;

// --- Email domain blocks ---------------------------------------------------------------------

export async function findEmailDomainBlock(db: Db, id: string): Promise<EmailDomainBlockRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("email_domain_blocks")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

export async function createEmailDomainBlock(
  db: Db,
  actorId: string | null,
  domainInput: unknown,
  allowWithApproval = false,
): Promise<EmailDomainBlockRow> {
  const domain = typeof domainInput === "string" ? normalizeDomain(domainInput) : null;
  if (!domain) {
    throw ApiError.unprocessable("Validation failed: Domain is invalid", {
      domain: [{ error: "ERR_INVALID", description: "is invalid" }],
    });
  }
  return await db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom("email_domain_blocks")
      .select("id")
      .where("domain", "=", domain)
      .executeTakeFirst();
    if (taken) {
      throw ApiError.unprocessable("Validation failed: Domain has already been taken", {
        domain: [{ error: "ERR_TAKEN", description: "has already been taken" }],
      });
    }
    const row = await trx
      .insertInto("email_domain_blocks")
      .values({ id: newId(), domain, allow_with_approval: allowWithApproval })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAction(trx, {
      accountId: actorId,
      action: "create",
      targetType: "EmailDomainBlock",
      targetId: row.id,
      humanIdentifier: domain,
    });
    return row;
  });
}

export async function deleteEmailDomainBlock(
  db: Db,
  actorId: string | null,
  id: string,
): Promise<void> {
  const row = await findEmailDomainBlock(db, id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("email_domain_blocks").where("id", "=", id).execute();
    await recordAction(trx, {
      accountId: actorId,
      action: "destroy",
      targetType: "EmailDomainBlock",
      targetId: row.id,
      humanIdentifier: row.domain,
    });
  });
}

/** The block covering an address's domain (or a parent domain), if any. */
export async function emailDomainBlockFor(
  db: Db,
  email: string,
): Promise<EmailDomainBlockRow | undefined> {
  const at = email.lastIndexOf("@");
  const domain = at >= 0 ? normalizeDomain(email.slice(at + 1)) : null;
  if (!domain) return undefined;
  const rows = await db
    .selectFrom("email_domain_blocks")
    .selectAll()
    .where("domain", "in", domainAndParents(domain))
    .execute();
  // A full refusal wins over "with approval" when both a domain and its parent are listed.
  return rows.find((r) => !r.allow_with_approval) ?? rows[0];
}

const DAY_MS = 86_400_000;

/**
 * Admin::EmailDomainBlock, with the past week's sign-ups from the domain per day
 * (`accounts`; `uses` counts the same, as Roost keeps no separate sign-up attempt log).
 */
export async function serializeEmailDomainBlocks(db: Db, rows: EmailDomainBlockRow[]) {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const since = new Date(today - 6 * DAY_MS);
  const counts = new Map<string, number>();
  if (rows.length) {
    const found = await db
      .selectFrom("users")
      .select([
        sql<string>`lower(split_part(email, '@', 2))`.as("domain"),
        sql<string>`floor(extract(epoch from created_at) / 86400)::bigint * 86400`.as("day"),
        (eb) => eb.fn.countAll<string>().as("n"),
      ])
      .where("created_at", ">=", since)
      .where(
        sql<string>`lower(split_part(email, '@', 2))`,
        "in",
        rows.map((r) => r.domain),
      )
      .groupBy(["domain", "day"])
      .execute();
    for (const f of found) counts.set(`${f.domain} ${f.day}`, Number(f.n));
  }
  return rows.map((row) => ({
    id: row.id,
    domain: row.domain,
    created_at: row.created_at.toISOString(),
    history: Array.from({ length: 7 }, (_, i) => {
      const day = String((today - i * DAY_MS) / 1000);
      const n = String(counts.get(`${row.domain} ${day}`) ?? 0);
      return { day, accounts: n, uses: n };
    }),
  }));
}

// --- Canonical email blocks ------------------------------------------------------------------

/**
 * The address in its canonical spelling, as Mastodon computes it: lowercase, and in the
 * local part the dots dropped and everything from a `+` on ignored (Gmail's rules, applied
 * to every provider so that variants can't slip past a block).
 */
export function canonicalEmail(email: string): string {
  const lower = email.trim().toLowerCase();
  const at = lower.indexOf("@");
  const local = at >= 0 ? lower.slice(0, at) : lower;
  const domain = at >= 0 ? lower.slice(at + 1) : "";
  const base = local.replaceAll(".", "").split("+", 1)[0];
  return `${base}@${domain}`;
}

export function canonicalEmailHash(email: string): string {
  return createHash("sha256").update(canonicalEmail(email)).digest("hex");
}

export async function findCanonicalEmailBlock(db: Db, id: string): Promise<CanonicalEmailBlockRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("canonical_email_blocks")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

/** Blocks an address (given as `email`) or a hash computed elsewhere (`canonical_email_hash`). */
export async function createCanonicalEmailBlock(
  db: Db,
  actorId: string | null,
  input: { email?: unknown; canonical_email_hash?: unknown },
): Promise<CanonicalEmailBlockRow> {
  let hash: string | undefined;
  if (typeof input.email === "string" && input.email.includes("@")) {
    hash = canonicalEmailHash(input.email);
  } else if (
    typeof input.canonical_email_hash === "string" &&
    /^[0-9a-f]{64}$/i.test(input.canonical_email_hash)
  ) {
    hash = input.canonical_email_hash.toLowerCase();
  }
  if (!hash) {
    throw ApiError.unprocessable("Validation failed: Canonical email hash can't be blank", {
      canonical_email_hash: [{ error: "ERR_BLANK", description: "can't be blank" }],
    });
  }
  const value = hash;
  return await db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom("canonical_email_blocks")
      .select("id")
      .where("canonical_email_hash", "=", value)
      .executeTakeFirst();
    if (taken) {
      throw ApiError.unprocessable(
        "Validation failed: Canonical email hash has already been taken",
        {
          canonical_email_hash: [{ error: "ERR_TAKEN", description: "has already been taken" }],
        },
      );
    }
    const row = await trx
      .insertInto("canonical_email_blocks")
      .values({ id: newId(), canonical_email_hash: value })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAction(trx, {
      accountId: actorId,
      action: "create",
      targetType: "CanonicalEmailBlock",
      targetId: row.id,
      humanIdentifier: value,
    });
    return row;
  });
}

export async function deleteCanonicalEmailBlock(
  db: Db,
  actorId: string | null,
  id: string,
): Promise<void> {
  const row = await findCanonicalEmailBlock(db, id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("canonical_email_blocks").where("id", "=", id).execute();
    await recordAction(trx, {
      accountId: actorId,
      action: "destroy",
      targetType: "CanonicalEmailBlock",
      targetId: row.id,
      humanIdentifier: row.canonical_email_hash,
    });
  });
}

/** The blocks matching an address in any of its spellings (the `/test` endpoint, sign-up). */
export async function canonicalEmailBlocksFor(
  db: Db,
  email: string,
): Promise<CanonicalEmailBlockRow[]> {
  return await db
    .selectFrom("canonical_email_blocks")
    .selectAll()
    .where("canonical_email_hash", "=", canonicalEmailHash(email))
    .execute();
}

/** Admin::CanonicalEmailBlock. */
export function serializeCanonicalEmailBlock(row: CanonicalEmailBlockRow) {
  return { id: row.id, canonical_email_hash: row.canonical_email_hash };
}

// --- At sign-up ------------------------------------------------------------------------------

export interface SignUpScreening {
  /** Field errors to report with the other validation failures (Rails' details shape). */
  refusals: Record<string, { error: string; description: string }[]>;
  /** Allowed, but an admin must approve the account whatever the registration mode. */
  needsApproval: boolean;
}

/**
 * What the blocks say about a sign-up: email domain blocks and canonical email blocks
 * refuse the address (or hold it for approval), IP blocks refuse or hold the address the
 * request came from. A no_access address never gets this far (noAccessMiddleware).
 */
export async function screenSignUp(
  db: Db,
  email: string,
  ip: string | null | undefined,
): Promise<SignUpScreening> {
  const refusals: SignUpScreening["refusals"] = {};
  let needsApproval = false;
  const blocked = { error: "ERR_BLOCKED", description: "uses a disallowed e-mail provider" };
  if (email.includes("@")) {
    const domainBlock = await emailDomainBlockFor(db, email);
    if (domainBlock?.allow_with_approval) needsApproval = true;
    else if (domainBlock) refusals.email = [blocked];
    if (!refusals.email && (await canonicalEmailBlocksFor(db, email)).length) {
      refusals.email = [blocked];
    }
  }
  const severity = await ipBlockSeverityFor(db, ip);
  if (severity === "sign_up_block" || severity === "no_access") {
    refusals.ip = [{ error: "ERR_BLOCKED", description: "is not allowed to sign up" }];
  } else if (severity === "sign_up_requires_approval") {
    needsApproval = true;
  }
  return { refusals, needsApproval };
}
