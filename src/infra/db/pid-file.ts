// The embedded database (PGlite) can be open in one process only: a second process opening
// the same data directory would corrupt it. The server therefore records its pid in
// DATA_DIR/roost.pid while it holds the embedded database, and the admin CLI refuses to run
// while that process is alive. With PostgreSQL no file is written and both run at once.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const PID_FILE_NAME = "roost.pid";

export function pidFilePath(dataDir: string): string {
  return path.join(dataDir, PID_FILE_NAME);
}

/** Writes the pid file and removes it when the process exits, however it exits. */
export function writePidFile(dataDir: string): void {
  const file = pidFilePath(dataDir);
  writeFileSync(file, `${process.pid}\n`);
  process.once("exit", () => {
    // Only our own file: a newer server may have replaced it.
    if (readPid(file) === process.pid) rmSync(file, { force: true });
  });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pid of a live server holding the embedded database in `dataDir`, or undefined.
 * A file left behind by a killed server names a dead process and is ignored.
 */
export function runningServerPid(dataDir: string): number | undefined {
  const pid = readPid(pidFilePath(dataDir));
  // Our own pid or our parent's (npm) can only be a stale file recycled in a fresh container.
  if (pid === undefined || pid === process.pid || pid === process.ppid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: the process exists but belongs to another user, so it is alive.
    return (e as { code?: string }).code === "EPERM" ? pid : undefined;
  }
}
