import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, getLogger, type LogLevel } from "@logtape/logtape";
import type { Config } from "../config.ts";

let configured = false;

/** Sets up LogTape for Roost and Fedify (which logs through LogTape too). */
export async function setupLogging(level: Config["logLevel"]): Promise<void> {
  if (configured) return;
  configured = true;
  await configure({
    reset: true,
    // Fedify adds request context to its log records; without a store LogTape warns on each.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: "roost", lowestLevel: level as LogLevel, sinks: ["console"] },
      // Fedify is chatty at info; its warnings and errors are what an admin needs.
      {
        category: "fedify",
        lowestLevel: level === "debug" || level === "trace" ? level : "warning",
        sinks: ["console"],
      },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

export const logger = getLogger(["roost"]);
export const log = (category: string) => getLogger(["roost", category]);
