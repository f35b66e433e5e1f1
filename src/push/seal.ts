// Mastodon puts the subscriber's access token in every push payload (apps use it to tell
// their accounts apart), but Roost stores tokens only as hashes. The subscription keeps its
// token encrypted under the instance secret instead: AES-256-GCM, key derived with HKDF.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import { resolveSecretKey } from "../infra/secrets.ts";

type SecretConfig = Pick<Config, "secretKey" | "dataDir">;

function keyFor(config: SecretConfig): Buffer {
  const secret = resolveSecretKey(config);
  return Buffer.from(hkdfSync("sha256", secret, "", "roost web push access token", 32));
}

/** base64url(iv ‖ tag ‖ ciphertext). */
export function sealToken(config: SecretConfig, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(config), iv);
  const body = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** The token, or undefined when the secret changed since it was sealed. */
export function unsealToken(config: SecretConfig, sealed: string): string | undefined {
  try {
    const raw = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", keyFor(config), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
