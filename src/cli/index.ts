// `npm run cli -- <command>`: the admin command line (Mastodon's tootctl, for Roost).
// Exit codes: 0 done, 1 failed (one line on stderr saying why). See docs/cli.md.
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { type DbHandle, openDatabase } from "../infra/db/index.ts";
import { migrateToLatest } from "../infra/db/migrate.ts";
import { runningServerPid } from "../infra/db/pid-file.ts";
import { accountsCommand } from "./commands/accounts.ts";
import { type CliContext, CliError, type Command } from "./commands/common.ts";
import { mediaCommand } from "./commands/media.ts";
import { settingsCommand } from "./commands/settings.ts";

const USAGE = `Roost admin command line

Usage: npm run cli -- <command> [options]

Commands:
  accounts create <username> --email <address> [--role Owner|Admin|Moderator] [--confirmed]
  accounts modify <username> [--role R] [--confirm] [--approve] [--disable] [--enable]
                  [--reset-password]
  accounts delete <username>
  media prune-remote [--days N]
  settings show | set <name> <value> | unset <name>
  settings registrations open|approval|closed
  settings rules [list | add <text> [--hint H] | remove <id>]

Run "npm run cli -- accounts --help" or "... settings --help" for details.
It reads the same environment (and .env) as the server. See docs/cli.md.`;

const COMMANDS: Record<string, Command> = {
  accounts: accountsCommand,
  media: mediaCommand,
  settings: settingsCommand,
};

async function openForCli(config: Config): Promise<DbHandle> {
  if (!config.databaseUrl) {
    // Two processes must never open one embedded database; the server marks its hold on it.
    const pid = runningServerPid(config.dataDir);
    if (pid !== undefined) {
      throw new CliError(
        `The Roost server (pid ${pid}) is using the embedded database in ${config.dataDir}; ` +
          "stop it first, or run Roost on PostgreSQL (DATABASE_URL) to use the CLI while it runs",
      );
    }
  }
  const handle = await openDatabase(config, { poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
  } catch (e) {
    await handle.close();
    throw e;
  }
  return handle;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliError(`Unknown command "${name}" (run with --help for the list)`);

  const config = loadConfig();
  let handle: DbHandle | undefined;
  const ctx: CliContext = {
    config,
    async database() {
      handle ??= await openForCli(config);
      return handle;
    },
    print: (line) => console.log(line),
  };
  try {
    await command(args, ctx);
  } finally {
    await handle?.close();
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.exitCode = 1;
  if (e instanceof CliError || e instanceof ConfigError) console.error(e.message);
  // parseArgs reports unknown or malformed options with a code and a readable message.
  else if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error((e as Error).message);
  } else console.error(`Error: ${(e as Error).message ?? e}`);
}
