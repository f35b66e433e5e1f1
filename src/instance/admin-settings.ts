// The instance settings an admin edits, under the names the settings API and the CLI use
// (`registrations_mode` is the `registrations` key). Shared by PATCH /api/v1/admin/settings
// and `npm run cli -- settings set`, so both validate and record changes the same way.
import type { Config } from "../config.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import { recordAction } from "../moderation/audit-log.ts";
import {
  checkInstanceSetting,
  clearInstanceSetting,
  getInstanceSettings,
  type InstanceSettingKey,
  type InstanceSettings,
  setInstanceSetting,
} from "./settings.ts";

/** API name → stored key. */
export const ADMIN_SETTING_NAMES = {
  title: "title",
  description: "description",
  extended_description: "extended_description",
  contact_email: "contact_email",
  contact_username: "contact_username",
  registrations_mode: "registrations",
  registrations_message: "registrations_message",
  max_status_chars: "max_status_chars",
  languages: "languages",
  thumbnail_url: "thumbnail_url",
  show_domain_blocks: "show_domain_blocks",
  show_domain_blocks_rationale: "show_domain_blocks_rationale",
} as const satisfies Record<string, InstanceSettingKey>;

export type AdminSettingName = keyof typeof ADMIN_SETTING_NAMES;

export function isAdminSettingName(name: string): name is AdminSettingName {
  return Object.hasOwn(ADMIN_SETTING_NAMES, name);
}

/** The settings in force, as the API shows them. */
export function adminSettingsView(s: InstanceSettings) {
  return {
    title: s.title,
    description: s.description,
    extended_description: s.extendedDescription,
    contact_email: s.contactEmail,
    contact_username: s.contactUsername,
    registrations_mode: s.registrations,
    registrations_message: s.registrationsMessage,
    max_status_chars: s.maxStatusChars,
    languages: s.languages,
    thumbnail_url: s.thumbnailUrl,
    show_domain_blocks: s.showDomainBlocks,
    show_domain_blocks_rationale: s.showDomainBlocksRationale,
  };
}

// Forms and the command line give numbers as text.
function coerce(name: AdminSettingName, value: unknown): unknown {
  if (name === "max_status_chars" && typeof value === "string" && /^\d+$/.test(value)) {
    return Number(value);
  }
  if (name === "languages" && typeof value === "string") {
    return value
      .split(",")
      .map((l) => l.trim())
      .filter(Boolean);
  }
  return value;
}

/**
 * Applies a set of changes after checking all of them (nothing is stored if one is wrong):
 * a value sets the setting, null removes it so the configured default applies again.
 * Unknown names and bad values are a 422 naming each. Records one audit entry.
 */
export async function updateAdminSettings(
  db: Db,
  config: Config,
  actorId: string | null,
  changes: Record<string, unknown>,
): Promise<InstanceSettings> {
  const details: Record<string, { error: string; description: string }[]> = {};
  const checked: [InstanceSettingKey, unknown][] = [];
  for (const [name, raw] of Object.entries(changes)) {
    if (!isAdminSettingName(name)) {
      details[name] = [{ error: "ERR_UNKNOWN", description: "is not a setting" }];
      continue;
    }
    const key = ADMIN_SETTING_NAMES[name];
    const value = coerce(name, raw);
    if (value === null) {
      checked.push([key, null]);
      continue;
    }
    const problem = checkInstanceSetting(key, value);
    if (problem) {
      details[name] = [{ error: "ERR_INVALID", description: problem }];
      continue;
    }
    if (key === "contact_username") {
      const local = await db
        .selectFrom("accounts")
        .select("id")
        .where("domain", "is", null)
        .where("username", "=", value as string)
        .executeTakeFirst();
      if (!local) details[name] = [{ error: "ERR_INVALID", description: "is not a local account" }];
    }
    checked.push([key, value]);
  }
  if (Object.keys(details).length) {
    const summary = Object.entries(details)
      .map(([name, list]) => `${name} ${list[0]?.description}`)
      .join(", ");
    throw ApiError.unprocessable(`Validation failed: ${summary}`, details);
  }
  await db.transaction().execute(async (trx) => {
    for (const [key, value] of checked) {
      if (value === null) await clearInstanceSetting(trx, key);
      // Checked above against the key's schema.
      else await setInstanceSetting(trx, key, value as never);
    }
    await recordAction(trx, {
      accountId: actorId,
      action: "update",
      targetType: "Form::AdminSettings",
      targetId: "instance",
      humanIdentifier: "settings",
      details: { changed: Object.keys(changes) },
    });
  });
  return await getInstanceSettings(db, config);
}
