// Runs Roost as a real child process (`node src/main.ts`), as `npm start` does.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(fileURLToPath(import.meta.url), "../../..");

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface RoostProcess {
  proc: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function runRoost(env: Record<string, string>): RoostProcess {
  let out = "";
  const proc = spawn(process.execPath, ["src/main.ts"], {
    cwd: repoRoot,
    // A clean environment: only what the test passes, so the developer's own settings don't leak in.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  return {
    proc,
    url: `http://127.0.0.1:${env.PORT ?? "3000"}`,
    output: () => out,
    exited,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return await exited;
    },
  };
}

/** Starts Roost and waits until it logs that it is ready (or fails with its output). */
export async function startRoost(
  env: Record<string, string>,
  options: { timeoutMs?: number } = {},
): Promise<RoostProcess> {
  // A port picked here can be taken before the child binds it (the local port of another
  // connection): without a PORT of the caller's, try again on another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRoostOnce(env, options);
    } catch (error) {
      if (env.PORT || attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function startRoostOnce(
  env: Record<string, string>,
  options: { timeoutMs?: number },
): Promise<RoostProcess> {
  const port = env.PORT ?? String(await freePort());
  const roost = runRoost({
    HOST: "127.0.0.1",
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
    PORT: port,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (!/ready at/.test(roost.output())) {
    if (roost.proc.exitCode !== null) {
      throw new Error(`Roost exited with ${roost.proc.exitCode}:\n${roost.output()}`);
    }
    if (Date.now() > deadline) {
      await roost.stop("SIGKILL");
      throw new Error(`Roost did not become ready:\n${roost.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return roost;
}
