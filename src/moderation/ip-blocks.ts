// IP blocks (Mastodon's IpBlock): an address range that may only sign up with approval
// (sign_up_requires_approval), may not sign up (sign_up_block), or may not use the server
// at all (no_access, enforced on every request by noAccessMiddleware). The no_access ranges
// are held in memory per database for a short while, as every request consults them.
import { BlockList, isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import { type Selectable, sql } from "kysely";
import { ApiError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import type { Db } from "../infra/db/index.ts";
import type { IpBlockSeverity, IpBlocksTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { log } from "../infra/logging.ts";
import { recordAction } from "./audit-log.ts";

const logger = log("moderation");

export type IpBlockRow = Selectable<IpBlocksTable>;

export const IP_BLOCK_SEVERITIES: readonly IpBlockSeverity[] = [
  "sign_up_requires_approval",
  "sign_up_block",
  "no_access",
];

export interface IpBlockInput {
  ip?: string;
  severity?: IpBlockSeverity;
  comment?: string;
  /** Seconds from now; null for a block that never expires. */
  expiresIn?: number | null;
}

function invalid(field: string, description = "is invalid"): ApiError {
  return ApiError.unprocessable(`Validation failed: ${field} ${description}`, {
    [field]: [{ error: "ERR_INVALID", description }],
  });
}

/** "192.0.2.7", "10.0.0.0/8", "2001:db8::/32": checked here so the database never sees junk. */
export function parseCidr(input: string): { address: string; prefix: number } | null {
  const [address = "", prefixText, ...rest] = input.trim().split("/");
  const family = isIP(address);
  if (!family || rest.length) return null;
  const max = family === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max };
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix } : null;
}

// The stored network is masked ("10.1.2.3/8" becomes 10.0.0.0/8), as Mastodon's IPAddr does.
function networkSql(cidr: { address: string; prefix: number }) {
  return sql<string>`network(${`${cidr.address}/${cidr.prefix}`}::inet)::inet`;
}

// Read back with the prefix always shown, as Mastodon serializes it ("8.8.8.8/32").
const ipText = sql<string>`host(ip) || '/' || masklen(ip)`.as("ip");

function selectBlock(db: Db) {
  return db
    .selectFrom("ip_blocks")
    .select(["id", "severity", "comment", "expires_at", "created_at", "updated_at", ipText]);
}

export async function findIpBlock(db: Db, id: string): Promise<IpBlockRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  const row = await selectBlock(db).where("id", "=", id).executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

function expiry(expiresIn: number | null | undefined): Date | null | undefined {
  if (expiresIn === undefined) return undefined;
  if (expiresIn === null) return null;
  return new Date(Date.now() + expiresIn * 1000);
}

export async function createIpBlock(
  db: Db,
  actorId: string | null,
  input: IpBlockInput,
): Promise<IpBlockRow> {
  const cidr = input.ip ? parseCidr(input.ip) : null;
  if (!cidr) throw invalid("ip");
  if (!input.severity) throw invalid("severity", "can't be blank");
  const severity = input.severity;
  const id = await db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom("ip_blocks")
      .select("id")
      .where("ip", "=", networkSql(cidr))
      .executeTakeFirst();
    if (taken) {
      throw ApiError.unprocessable("Validation failed: Ip has already been taken", {
        ip: [{ error: "ERR_TAKEN", description: "has already been taken" }],
      });
    }
    const row = await trx
      .insertInto("ip_blocks")
      .values({
        id: newId(),
        ip: networkSql(cidr),
        severity,
        comment: input.comment ?? "",
        expires_at: expiry(input.expiresIn) ?? null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await recordAction(trx, {
      accountId: actorId,
      action: "create",
      targetType: "IpBlock",
      targetId: row.id,
      humanIdentifier: `${cidr.address}/${cidr.prefix}`,
      details: { severity },
    });
    return row.id;
  });
  invalidateIpBlocks(db);
  return await findIpBlock(db, id);
}

export async function updateIpBlock(
  db: Db,
  actorId: string | null,
  id: string,
  input: IpBlockInput,
): Promise<IpBlockRow> {
  const before = await findIpBlock(db, id);
  const cidr = input.ip !== undefined ? parseCidr(input.ip) : undefined;
  if (cidr === null) throw invalid("ip");
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("ip_blocks")
      .set({
        ...(cidr ? { ip: networkSql(cidr) } : {}),
        ...(input.severity ? { severity: input.severity } : {}),
        ...(input.comment !== undefined ? { comment: input.comment } : {}),
        ...(input.expiresIn !== undefined ? { expires_at: expiry(input.expiresIn) } : {}),
        updated_at: new Date(),
      })
      .where("id", "=", id)
      .execute();
    await recordAction(trx, {
      accountId: actorId,
      action: "update",
      targetType: "IpBlock",
      targetId: id,
      humanIdentifier: before.ip,
    });
  });
  invalidateIpBlocks(db);
  return await findIpBlock(db, id);
}

export async function deleteIpBlock(db: Db, actorId: string | null, id: string): Promise<void> {
  const row = await findIpBlock(db, id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("ip_blocks").where("id", "=", id).execute();
    await recordAction(trx, {
      accountId: actorId,
      action: "destroy",
      targetType: "IpBlock",
      targetId: id,
      humanIdentifier: row.ip,
    });
  });
  invalidateIpBlocks(db);
}

/** The strictest unexpired severity covering an address, if any. */
export async function ipBlockSeverityFor(
  db: Db,
  ip: string | null | undefined,
): Promise<IpBlockSeverity | undefined> {
  if (!ip || !isIP(ip)) return undefined;
  const rows = await db
    .selectFrom("ip_blocks")
    .select("severity")
    .where(sql<boolean>`ip >>= ${ip}::inet`)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", new Date())]))
    .execute();
  const found = new Set(rows.map((r) => r.severity));
  return [...IP_BLOCK_SEVERITIES].reverse().find((s) => found.has(s));
}

/** PostgreSQL prints a single address without its /32 (or /128); Mastodon always shows it. */
function withPrefix(ip: string): string {
  if (ip.includes("/")) return ip;
  return `${ip}/${isIP(ip) === 6 ? 128 : 32}`;
}

/** Admin::IpBlock. */
export function serializeIpBlock(row: IpBlockRow) {
  return {
    id: row.id,
    ip: withPrefix(row.ip),
    severity: row.severity,
    comment: row.comment,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at ? row.expires_at.toISOString() : null,
  };
}

// --- no_access on every request --------------------------------------------------------------

const CACHE_TTL_MS = 30_000;

interface NoAccessList {
  expires: number;
  list: BlockList;
  empty: boolean;
}

const noAccessCache = new WeakMap<Db, Promise<NoAccessList>>();

export function invalidateIpBlocks(db: Db): void {
  noAccessCache.delete(db);
}

async function loadNoAccess(db: Db): Promise<NoAccessList> {
  const rows = await db
    .selectFrom("ip_blocks")
    .select([
      sql<string>`host(ip)`.as("address"),
      sql<number>`masklen(ip)`.as("prefix"),
      "expires_at",
    ])
    .where("severity", "=", "no_access")
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", new Date())]))
    .execute();
  const list = new BlockList();
  // Rebuilt when the soonest block expires, if that comes before the TTL.
  let expires = Date.now() + CACHE_TTL_MS;
  for (const row of rows) {
    const family = isIP(row.address) === 6 ? "ipv6" : "ipv4";
    list.addSubnet(row.address, Number(row.prefix), family);
    if (row.expires_at) expires = Math.min(expires, row.expires_at.getTime());
  }
  return { expires, list, empty: rows.length === 0 };
}

async function noAccessList(db: Db): Promise<NoAccessList> {
  const held = noAccessCache.get(db);
  if (held) {
    const value = await held.catch(() => null);
    if (value && value.expires > Date.now()) return value;
  }
  const fresh = loadNoAccess(db);
  noAccessCache.set(db, fresh);
  fresh.catch(() => noAccessCache.delete(db));
  return await fresh;
}

/** True when a no_access block covers the address. */
export async function ipHasNoAccess(db: Db, ip: string | null | undefined): Promise<boolean> {
  if (!ip) return false;
  const family = isIP(ip);
  if (!family) return false;
  // Fail open: a database hiccup must not turn every request (health checks included)
  // into an error; the block applies again as soon as the list can be read.
  const loaded = await noAccessList(db).catch((error: unknown) => {
    logger.warning("Could not read IP blocks: {error}", { error });
    return null;
  });
  if (!loaded || loaded.empty) return false;
  const { list } = loaded;
  // An IPv4 client seen as ::ffff:a.b.c.d is checked as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return list.check(mapped, "ipv4");
  return list.check(ip, family === 6 ? "ipv6" : "ipv4");
}

/** Refuses every request from a no_access range with a 403, as Mastodon's Rack::Attack does. */
export function noAccessMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (await ipHasNoAccess(c.get("services").db, c.get("clientIp"))) {
      throw ApiError.forbidden("Blocked");
    }
    await next();
  };
}
