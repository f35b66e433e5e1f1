// `media prune-remote --days N`: drops cached copies of remote media older than N days.
// The rows stay (their remote_url still shows the media), so nothing visible breaks.
import { parseArgs } from "node:util";
import { pruneRemoteMediaCache } from "../../media/prune.ts";
import { type CliContext, CliError } from "./common.ts";

export const MEDIA_USAGE = `Usage: npm run cli -- media prune-remote [--days N]

  prune-remote  delete cached remote media older than N days (default 7)`;

export async function mediaCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    ctx.print(MEDIA_USAGE);
    return;
  }
  if (sub !== "prune-remote") throw new CliError(`Unknown media command "${sub}"`);
  const { values } = parseArgs({
    args: rest,
    options: { days: { type: "string", default: "7" }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) {
    ctx.print(MEDIA_USAGE);
    return;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 0) throw new CliError("--days must be a whole number");
  const { db } = await ctx.database();
  const count = await pruneRemoteMediaCache(db, ctx.config, days);
  ctx.print(`Removed the cached files of ${count} remote media attachments`);
}
