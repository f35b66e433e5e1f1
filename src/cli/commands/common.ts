// What every admin command gets: the configuration, a database opened on demand (and
// closed by the runner), output, and the one error type that becomes a one-line message.
import type { Config } from "../../config.ts";
import type { DbHandle } from "../../infra/db/index.ts";

/** An expected failure: printed as one line on stderr, exit code 1. */
export class CliError extends Error {
  override name = "CliError";
}

export interface CliContext {
  config: Config;
  /** Opens (and migrates) the database the first time it is called. */
  database(): Promise<DbHandle>;
  /** Writes one line to stdout. */
  print(line: string): void;
}

export type Command = (args: string[], ctx: CliContext) => Promise<void>;
