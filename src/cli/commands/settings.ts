// `settings ...`: the instance settings and rules, stored in the database so they override
// the environment (INSTANCE_TITLE, REGISTRATIONS, ...) and take effect without a restart.
// The same names and checks as PATCH /api/v1/admin/settings (src/instance/admin-settings.ts);
// changes are recorded in the audit log with no acting account.
import { parseArgs } from "node:util";
import { ApiError } from "../../http/errors.ts";
import {
  ADMIN_SETTING_NAMES,
  adminSettingsView,
  isAdminSettingName,
  updateAdminSettings,
} from "../../instance/admin-settings.ts";
import { activeRules, createRule, deleteRule } from "../../instance/rules.ts";
import { getInstanceSettings } from "../../instance/settings.ts";
import { recordAction } from "../../moderation/audit-log.ts";
import { type CliContext, CliError } from "./common.ts";

const MODES = ["open", "approval", "closed"] as const;

export const SETTINGS_USAGE = `Usage: npm run cli -- settings <subcommand>

  show                              print every setting in force
  set <name> <value>                change one setting
  unset <name>                      back to the configured default
  registrations open|approval|closed
                                    the registration mode (same as set registrations_mode)
  rules                             list the server rules
  rules add <text> [--hint <hint>]  add a rule at the end
  rules remove <id>                 remove a rule

Settings: ${Object.keys(ADMIN_SETTING_NAMES).join(", ")}
(languages: comma-separated codes; max_status_chars: a number)`;

function help(value: string | undefined): boolean {
  return value === undefined || value === "--help" || value === "-h";
}

/** Runs a shared settings change, turning its 422 into one line. */
async function change(ctx: CliContext, changes: Record<string, unknown>): Promise<void> {
  const { db } = await ctx.database();
  try {
    await updateAdminSettings(db, ctx.config, null, changes);
  } catch (e) {
    if (e instanceof ApiError) throw new CliError(e.message.replace(/^Validation failed: /, ""));
    throw e;
  }
}

function checkName(name: string | undefined): string {
  if (!name) throw new CliError("Name a setting (run with --help for the list)");
  if (!isAdminSettingName(name)) throw new CliError(`Unknown setting "${name}"`);
  return name;
}

export async function settingsCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args;
  if (help(sub)) {
    ctx.print(SETTINGS_USAGE);
    return;
  }
  switch (sub) {
    case "show": {
      const { db } = await ctx.database();
      const view = adminSettingsView(await getInstanceSettings(db, ctx.config));
      for (const [name, value] of Object.entries(view)) {
        ctx.print(`${name}: ${JSON.stringify(value)}`);
      }
      return;
    }
    case "set": {
      const [name, value, ...extra] = rest;
      const checked = checkName(name);
      if (value === undefined) throw new CliError(`Give a value for ${checked}`);
      if (extra.length) throw new CliError(`Unexpected argument "${extra[0]}"`);
      await change(ctx, { [checked]: value });
      ctx.print("OK");
      return;
    }
    case "unset": {
      const [name, ...extra] = rest;
      const checked = checkName(name);
      if (extra.length) throw new CliError(`Unexpected argument "${extra[0]}"`);
      await change(ctx, { [checked]: null });
      ctx.print("OK");
      return;
    }
    case "registrations": {
      const [value, ...extra] = rest;
      if (value === "--help" || value === "-h") {
        ctx.print(SETTINGS_USAGE);
        return;
      }
      if (extra.length) throw new CliError(`Unexpected argument "${extra[0]}"`);
      if (!value || !(MODES as readonly string[]).includes(value)) {
        throw new CliError("Registrations mode must be one of: open, approval, closed");
      }
      await change(ctx, { registrations_mode: value });
      ctx.print("OK");
      return;
    }
    case "rules":
      await rulesCommand(rest, ctx);
      return;
    default:
      throw new CliError(`Unknown setting "${sub}"`);
  }
}

async function rulesCommand(args: string[], ctx: CliContext): Promise<void> {
  const [action, ...rest] = args;
  if (action === "--help" || action === "-h") {
    ctx.print(SETTINGS_USAGE);
    return;
  }
  const { db } = await ctx.database();
  if (action === undefined || action === "list") {
    const rules = (await activeRules(db)) ?? [];
    if (rules.length === 0) ctx.print("No rules");
    for (const rule of rules) {
      ctx.print(`${rule.id}  ${rule.text}${rule.hint ? ` (${rule.hint})` : ""}`);
    }
    return;
  }
  if (action === "add") {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { hint: { type: "string" } },
      allowPositionals: true,
    });
    const text = positionals.join(" ").trim();
    if (!text) throw new CliError("Give the rule's text");
    if (text.length > 300) throw new CliError("The rule's text is too long (maximum is 300)");
    const row = await db.transaction().execute(async (trx) => {
      const row = await createRule(trx, { text, hint: values.hint ?? "" });
      await recordAction(trx, {
        accountId: null,
        action: "create",
        targetType: "Rule",
        targetId: row.id,
        humanIdentifier: text.slice(0, 100),
      });
      return row;
    });
    ctx.print(`OK ${row.id}`);
    return;
  }
  if (action === "remove") {
    const [id, ...extra] = rest;
    if (!id) throw new CliError("Give the id of the rule to remove");
    if (extra.length) throw new CliError(`Unexpected argument "${extra[0]}"`);
    try {
      await db.transaction().execute(async (trx) => {
        const row = await deleteRule(trx, id);
        await recordAction(trx, {
          accountId: null,
          action: "destroy",
          targetType: "Rule",
          targetId: row.id,
          humanIdentifier: row.text.slice(0, 100),
        });
      });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw new CliError(`No rule with id ${id}`);
      throw e;
    }
    ctx.print("OK");
    return;
  }
  throw new CliError(`Unknown rules action "${action}"`);
}
