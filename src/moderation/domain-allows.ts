// Domain allows (Mastodon's DomainAllow): the list that matters under
// LIMITED_FEDERATION_MODE, where only allowed domains (and their subdomains) federate.
// Outside that mode the list is kept but changes nothing.
import type { Selectable } from "kysely";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { DomainAllowsTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { recordAction } from "./audit-log.ts";
import { parseBlockedDomain } from "./domain-blocks.ts";
import { invalidateDomainPolicy } from "./domain-policy.ts";

export type DomainAllowRow = Selectable<DomainAllowsTable>;

export async function findDomainAllow(db: Db, id: string): Promise<DomainAllowRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("domain_allows")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

/** Allows a domain; allowing one already allowed returns the existing row (as Mastodon). */
export async function createDomainAllow(
  db: Db,
  actorId: string | null,
  domainInput: unknown,
): Promise<DomainAllowRow> {
  const domain = parseBlockedDomain(domainInput);
  const row = await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom("domain_allows")
      .selectAll()
      .where("domain", "=", domain)
      .executeTakeFirst();
    if (existing) return existing;
    const row = await trx
      .insertInto("domain_allows")
      .values({ id: newId(), domain })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAction(trx, {
      accountId: actorId,
      action: "create",
      targetType: "DomainAllow",
      targetId: row.id,
      humanIdentifier: domain,
    });
    return row;
  });
  invalidateDomainPolicy(db);
  return row;
}

export async function deleteDomainAllow(
  db: Db,
  actorId: string | null,
  id: string,
): Promise<DomainAllowRow> {
  const row = await findDomainAllow(db, id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("domain_allows").where("id", "=", id).execute();
    await recordAction(trx, {
      accountId: actorId,
      action: "destroy",
      targetType: "DomainAllow",
      targetId: row.id,
      humanIdentifier: row.domain,
    });
  });
  invalidateDomainPolicy(db);
  return row;
}

/** Admin::DomainAllow. */
export function serializeDomainAllow(row: DomainAllowRow) {
  return { id: row.id, domain: row.domain, created_at: row.created_at.toISOString() };
}
