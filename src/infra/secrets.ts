// Secrets that must survive restarts but need no admin action: generated once into DATA_DIR.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config.ts";

/**
 * Returns SECRET_KEY from the configuration, or the one kept in DATA_DIR/secret_key,
 * creating it (mode 0600) on first start. Several processes sharing a DATA_DIR agree on it
 * because the file is created exclusively.
 */
export function resolveSecretKey(config: Pick<Config, "secretKey" | "dataDir">): string {
  if (config.secretKey) return config.secretKey;
  const file = path.join(config.dataDir, "secret_key");
  mkdirSync(config.dataDir, { recursive: true });
  try {
    writeFileSync(file, randomBytes(48).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  return readFileSync(file, "utf8").trim();
}
