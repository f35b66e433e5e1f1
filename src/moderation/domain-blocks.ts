// Domain blocks (Mastodon's DomainBlock): an admin limits or suspends a remote domain and
// its subdomains. This file writes the table and applies the block to what is already
// stored: accounts of the domain are marked silenced or suspended (with the block's
// `applied_at`, so lifting it clears exactly those marks), and a suspension removes every
// follow and follow request between them and local accounts. Federation consults
// domainPolicy() (domain-policy.ts) for everything that arrives or leaves afterwards.
import { createHash } from "node:crypto";
import { type RawBuilder, type Selectable, type SqlBool, sql } from "kysely";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { DomainBlockSeverity, DomainBlocksTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { deleteFollow } from "../relationships/follow-service.ts";
import type { Services } from "../services.ts";
import { recordAction } from "./audit-log.ts";
import { invalidateDomainPolicy, normalizeDomain } from "./domain-policy.ts";

export type DomainBlockRow = Selectable<DomainBlocksTable>;

export interface DomainBlockInput {
  severity?: DomainBlockSeverity;
  reject_media?: boolean;
  reject_reports?: boolean;
  private_comment?: string | null;
  public_comment?: string | null;
  obfuscate?: boolean;
}

/**
 * True when the account column's domain (which may carry a port) is `domain` or one of
 * its subdomains. Compared without LIKE, so `_` in a name is not a wildcard.
 */
export function domainCovers(column: string, domain: string): RawBuilder<SqlBool> {
  const host = sql`lower(split_part(${sql.ref(column)}, ':', 1))`;
  return sql<SqlBool>`(${host} = ${domain} or right(${host}, ${domain.length + 1}) = ${`.${domain}`})`;
}

export function domainDigest(domain: string): string {
  return createHash("sha256").update(domain).digest("hex");
}

export function parseBlockedDomain(input: unknown): string {
  const domain = typeof input === "string" ? normalizeDomain(input) : null;
  if (!domain) {
    throw ApiError.unprocessable("Validation failed: Domain is invalid", {
      domain: [{ error: "ERR_INVALID", description: "is invalid" }],
    });
  }
  return domain;
}

export async function findDomainBlock(db: Db, id: string): Promise<DomainBlockRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("domain_blocks")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

/**
 * Creates a block. An existing block of the same domain is a 422 (Mastodon answers with the
 * existing block's details); a block under a stricter parent block is refused the same way.
 */
export async function createDomainBlock(
  services: Services,
  actorId: string | null,
  domainInput: unknown,
  input: DomainBlockInput,
): Promise<DomainBlockRow> {
  const domain = parseBlockedDomain(domainInput);
  const { db } = services;
  const existing = await db
    .selectFrom("domain_blocks")
    .selectAll()
    .where("domain", "=", domain)
    .executeTakeFirst();
  if (existing) {
    throw ApiError.unprocessable(`Validation failed: Domain ${domain} is already blocked`, {
      existing_domain_block: serializeDomainBlock(existing),
    });
  }
  const now = new Date();
  const { row, removed } = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("domain_blocks")
      .values({
        id: newId(),
        domain,
        severity: input.severity ?? "silence",
        reject_media: input.reject_media ?? false,
        reject_reports: input.reject_reports ?? false,
        private_comment: input.private_comment ?? null,
        public_comment: input.public_comment ?? null,
        obfuscate: input.obfuscate ?? false,
        applied_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const removed = await applyBlock(trx, row);
    await recordAction(trx, {
      accountId: actorId,
      action: "create",
      targetType: "DomainBlock",
      targetId: row.id,
      humanIdentifier: domain,
      details: { severity: row.severity },
    });
    return { row, removed };
  });
  invalidateDomainPolicy(db);
  await announceRemovedFollows(services, removed);
  return row;
}

/** Changes a block: the old effects are lifted and the new ones applied in one transaction. */
export async function updateDomainBlock(
  services: Services,
  actorId: string | null,
  id: string,
  input: DomainBlockInput,
): Promise<DomainBlockRow> {
  const { db } = services;
  const before = await findDomainBlock(db, id);
  const { row, removed } = await db.transaction().execute(async (trx) => {
    await liftBlock(trx, before);
    const row = await trx
      .updateTable("domain_blocks")
      .set({
        ...definedOnly(input),
        applied_at: new Date(),
        updated_at: new Date(),
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const removed = await applyBlock(trx, row);
    await recordAction(trx, {
      accountId: actorId,
      action: "update",
      targetType: "DomainBlock",
      targetId: row.id,
      humanIdentifier: row.domain,
      details: { severity: row.severity, previous_severity: before.severity },
    });
    return { row, removed };
  });
  invalidateDomainPolicy(db);
  await announceRemovedFollows(services, removed);
  return row;
}

/** Lifts a block: its account marks are cleared (removed follows stay removed). */
export async function deleteDomainBlock(
  services: Services,
  actorId: string | null,
  id: string,
): Promise<DomainBlockRow> {
  const { db } = services;
  const row = await findDomainBlock(db, id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("domain_blocks").where("id", "=", id).execute();
    await liftBlock(trx, row);
    await recordAction(trx, {
      accountId: actorId,
      action: "destroy",
      targetType: "DomainBlock",
      targetId: row.id,
      humanIdentifier: row.domain,
    });
  });
  invalidateDomainPolicy(db);
  return row;
}

function definedOnly(input: DomainBlockInput): DomainBlockInput {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

interface RemovedFollow {
  accountId: string;
  targetAccountId: string;
  uri: string | null;
}

/** Marks the domain's remote accounts; a suspension also cuts their follows with local accounts. */
async function applyBlock(trx: Db, block: DomainBlockRow): Promise<RemovedFollow[]> {
  if (block.severity === "noop") return [];
  const column = block.severity === "suspend" ? "suspended_at" : "silenced_at";
  await trx
    .updateTable("accounts")
    .set({ [column]: block.applied_at })
    .where("domain", "is not", null)
    .where(domainCovers("domain", block.domain))
    .where(column, "is", null)
    .execute();
  if (block.severity !== "suspend") return [];

  const remote = trx
    .selectFrom("accounts")
    .select("id")
    .where("domain", "is not", null)
    .where(domainCovers("domain", block.domain));
  const follows = await trx
    .selectFrom("follows")
    .select(["account_id", "target_account_id"])
    .where((eb) => eb.or([eb("account_id", "in", remote), eb("target_account_id", "in", remote)]))
    .execute();
  const removed: RemovedFollow[] = [];
  for (const f of follows) {
    const gone = await deleteFollow(trx, f.account_id, f.target_account_id);
    if (gone)
      removed.push({
        accountId: f.account_id,
        targetAccountId: f.target_account_id,
        uri: gone.uri,
      });
  }
  await trx
    .deleteFrom("follow_requests")
    .where((eb) => eb.or([eb("account_id", "in", remote), eb("target_account_id", "in", remote)]))
    .execute();
  return removed;
}

/** Clears the marks this block set (those carrying its applied_at), nothing else. */
async function liftBlock(trx: Db, block: DomainBlockRow): Promise<void> {
  if (block.severity === "noop") return;
  const column = block.severity === "suspend" ? "suspended_at" : "silenced_at";
  await trx
    .updateTable("accounts")
    .set({ [column]: null })
    .where("domain", "is not", null)
    .where(domainCovers("domain", block.domain))
    .where(column, "=", block.applied_at)
    .execute();
}

/**
 * Local followers lose the suspended accounts' posts from their home feeds through the
 * usual follow.removed subscribers. Nothing reaches the domain: delivery to it is refused.
 */
async function announceRemovedFollows(services: Services, removed: RemovedFollow[]) {
  for (const follow of removed) await emitEvent(services, "follow.removed", follow);
}

/** Marks a newly seen remote account as its domain's block says (remote-accounts.ts). */
export async function blockMarksFor(
  db: Db,
  domain: string,
): Promise<{ suspended_at?: Date; silenced_at?: Date }> {
  const host = normalizeDomain(domain);
  if (!host) return {};
  const blocks = await db
    .selectFrom("domain_blocks")
    .select(["domain", "severity", "applied_at"])
    .where("domain", "in", domainAndParentsOf(host))
    .execute();
  // The most specific block wins, as in domainPolicy().
  const block = blocks.sort((a, b) => b.domain.length - a.domain.length)[0];
  if (!block || block.severity === "noop") return {};
  return block.severity === "suspend"
    ? { suspended_at: block.applied_at }
    : { silenced_at: block.applied_at };
}

function domainAndParentsOf(domain: string): string[] {
  const labels = domain.split(".");
  return labels.map((_, i) => labels.slice(i).join("."));
}

// --- Serializers ---------------------------------------------------------------------------

/** Admin::DomainBlock. */
export function serializeDomainBlock(row: DomainBlockRow) {
  return {
    id: row.id,
    domain: row.domain,
    digest: domainDigest(row.domain),
    created_at: row.created_at.toISOString(),
    severity: row.severity,
    reject_media: row.reject_media,
    reject_reports: row.reject_reports,
    private_comment: row.private_comment,
    public_comment: row.public_comment,
    obfuscate: row.obfuscate,
  };
}

/** The public DomainBlock: obfuscated domains show only some of their letters. */
export function serializePublicDomainBlock(row: DomainBlockRow, withComment: boolean) {
  return {
    domain: row.obfuscate ? obfuscateDomain(row.domain) : row.domain,
    digest: domainDigest(row.domain),
    severity: row.severity === "suspend" ? "suspend" : "silence",
    comment: withComment ? row.public_comment : null,
  };
}

/**
 * Mastodon's obfuscation: letters in the middle of the name become asterisks, so the
 * domain is recognisable to someone who knows it but not readable to everyone else.
 * The digest (of the real name) still lets others check a name they suspect.
 */
export function obfuscateDomain(domain: string): string {
  const length = domain.length;
  const visible = Math.floor(length / 4);
  return domain
    .split("")
    .map((ch, i) => (i > visible && i < length - visible && ch !== "." ? "*" : ch))
    .join("");
}
