// Instance settings: environment configuration overlaid with admin-edited rows of the
// `instance_settings` table (key → JSON value). A row wins over config; a row whose value
// does not have the expected shape is ignored (and logged) rather than breaking the API.
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";
import { log } from "../infra/logging.ts";
import { activeRules } from "./rules.ts";

const logger = log("instance");

export type RegistrationsMode = "open" | "approval" | "closed";

export interface InstanceRule {
  id: string;
  text: string;
  hint: string;
}

export interface InstanceSettings {
  title: string;
  /** Plain text, shown as the short description. */
  description: string;
  /** Plain text for the about page; "" when unset. */
  extendedDescription: string;
  /** When the extended description was last edited; null when it never was. */
  extendedDescriptionUpdatedAt: Date | null;
  contactEmail: string;
  registrations: RegistrationsMode;
  /** Shown to would-be users when registrations are closed. */
  registrationsMessage: string | null;
  rules: InstanceRule[];
  maxStatusChars: number;
  /** ISO 639-1 codes. */
  languages: string[];
  /** An absolute URL of the banner image, or null for none. */
  thumbnailUrl: string | null;
  /** The username of the local contact account, or null. */
  contactUsername: string | null;
  showDomainBlocks: DomainBlocksExposure;
  showDomainBlocksRationale: DomainBlocksExposure;
}

export type DomainBlocksExposure = "disabled" | "users" | "all";

const ruleInput = z.union([
  z.string().min(1),
  z.object({
    id: z.union([z.string(), z.number()]).optional(),
    text: z.string().min(1),
    hint: z.string().optional(),
  }),
]);

/** Every key the table may hold, with the shape its JSON value must have. */
const settingSchemas = {
  title: z.string().min(1).max(200),
  description: z.string().max(5000),
  extended_description: z.string(),
  contact_email: z.string(),
  registrations: z.enum(["open", "approval", "closed"]),
  registrations_message: z.string().nullable(),
  rules: z.array(ruleInput),
  max_status_chars: z.number().int().min(1).max(100_000),
  languages: z.array(z.string().regex(/^[a-z]{2}$/)),
  thumbnail_url: z.url({ protocol: /^https?$/ }).nullable(),
  /** The local account shown as the contact (its username); null for none. */
  contact_username: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,30}$/)
    .nullable(),
  /** Who sees /api/v1/instance/domain_blocks (Mastodon's show_domain_blocks). */
  show_domain_blocks: z.enum(["disabled", "users", "all"]),
  /** Who sees the public comments in that list. */
  show_domain_blocks_rationale: z.enum(["disabled", "users", "all"]),
} as const;

type SettingSchemas = typeof settingSchemas;
export type InstanceSettingKey = keyof SettingSchemas;
export type InstanceSettingValue<K extends InstanceSettingKey> = z.input<SettingSchemas[K]>;

function isKey(key: string): key is InstanceSettingKey {
  return Object.hasOwn(settingSchemas, key);
}

/** The keys an admin may set, for the settings API and the CLI. */
export const INSTANCE_SETTING_KEYS = Object.keys(settingSchemas) as InstanceSettingKey[];

/** Checks one setting's value; the zod error message when it does not fit. */
export function checkInstanceSetting(key: InstanceSettingKey, value: unknown): string | null {
  const result = settingSchemas[key].safeParse(value);
  return result.success ? null : (result.error.issues[0]?.message ?? "is invalid");
}

export async function getInstanceSettings(db: Db, config: Config): Promise<InstanceSettings> {
  const rows = await db
    .selectFrom("instance_settings")
    .select(["key", "value", "updated_at"])
    .execute();

  const values: { [K in InstanceSettingKey]?: z.output<SettingSchemas[K]> } = {};
  const updatedAt = new Map<string, Date>();
  for (const row of rows) {
    if (!isKey(row.key)) continue;
    const parsed = settingSchemas[row.key].safeParse(row.value);
    if (!parsed.success) {
      logger.warn("Ignoring instance setting {key}: {error}", {
        key: row.key,
        error: parsed.error.issues[0]?.message,
      });
      continue;
    }
    // The union of per-key outputs is not narrowed by TypeScript; the schema lookup is by key.
    (values as Record<string, unknown>)[row.key] = parsed.data;
    updatedAt.set(row.key, new Date(row.updated_at));
  }

  const { instance } = config;
  return {
    title: values.title ?? instance.title,
    description: values.description ?? instance.description,
    extendedDescription: values.extended_description ?? "",
    extendedDescriptionUpdatedAt: updatedAt.get("extended_description") ?? null,
    contactEmail: values.contact_email ?? instance.contactEmail,
    registrations: values.registrations ?? instance.registrations,
    registrationsMessage: values.registrations_message ?? null,
    // Rules edited through the admin API (the rules table) win over the older settings key.
    rules: (await activeRules(db)) ?? (values.rules ?? []).map(normalizeRule),
    maxStatusChars: values.max_status_chars ?? instance.maxStatusChars,
    languages: values.languages ?? ["en"],
    thumbnailUrl: values.thumbnail_url ?? null,
    contactUsername: values.contact_username ?? null,
    // Mastodon lists the blocks to signed-in users unless the admin says otherwise.
    showDomainBlocks: values.show_domain_blocks ?? "users",
    showDomainBlocksRationale: values.show_domain_blocks_rationale ?? "users",
  };
}

function normalizeRule(rule: z.output<typeof ruleInput>, index: number): InstanceRule {
  // Rule ids are stable strings in Mastodon; positions stand in until rules get their own table.
  if (typeof rule === "string") return { id: String(index + 1), text: rule, hint: "" };
  return { id: String(rule.id ?? index + 1), text: rule.text, hint: rule.hint ?? "" };
}

/** Stores (or replaces) one setting after checking its shape. For admin tools and tests. */
export async function setInstanceSetting<K extends InstanceSettingKey>(
  db: Db,
  key: K,
  value: InstanceSettingValue<K>,
): Promise<void> {
  const checked = settingSchemas[key].parse(value);
  const json = JSON.stringify(checked);
  await db
    .insertInto("instance_settings")
    .values({ key, value: json })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: json, updated_at: new Date() }))
    .execute();
}

/** Removes an override so the configured value applies again. */
export async function clearInstanceSetting(db: Db, key: InstanceSettingKey): Promise<void> {
  await db.deleteFrom("instance_settings").where("key", "=", key).execute();
}
