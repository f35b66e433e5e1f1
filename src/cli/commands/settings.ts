// `settings registrations open|approval|closed`: the registration mode, stored in
// instance_settings so it overrides REGISTRATIONS and takes effect without a restart.
import { setInstanceSetting } from "../../instance/settings.ts";
import { type CliContext, CliError } from "./common.ts";

const MODES = ["open", "approval", "closed"] as const;
type Mode = (typeof MODES)[number];

export const SETTINGS_USAGE = `Usage: npm run cli -- settings registrations open|approval|closed

  open      anyone may sign up
  approval  anyone may apply; an admin approves each account
  closed    nobody may sign up`;

export async function settingsCommand(args: string[], ctx: CliContext): Promise<void> {
  const [setting, value, ...extra] = args;
  if (setting === undefined || setting === "--help" || setting === "-h") {
    ctx.print(SETTINGS_USAGE);
    return;
  }
  if (setting !== "registrations") throw new CliError(`Unknown setting "${setting}"`);
  if (value === "--help" || value === "-h") {
    ctx.print(SETTINGS_USAGE);
    return;
  }
  if (extra.length) throw new CliError(`Unexpected argument "${extra[0]}"`);
  if (!value || !(MODES as readonly string[]).includes(value)) {
    throw new CliError("Registrations mode must be one of: open, approval, closed");
  }
  const { db } = await ctx.database();
  await setInstanceSetting(db, "registrations", value as Mode);
  ctx.print("OK");
}
