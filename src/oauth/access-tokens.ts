// Issuing and revoking access tokens. Every grant type and the sign-up API end here.
import { hashToken, randomToken } from "../auth/tokens.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";

/** The Token entity as Mastodon renders it (and RFC 6749's token response). */
export interface TokenBody {
  access_token: string;
  token_type: "Bearer";
  scope: string;
  created_at: number;
}

export async function issueAccessToken(
  db: Db,
  input: {
    applicationId: string;
    accountId: string | null;
    scopes: readonly string[];
    grantId?: string;
  },
): Promise<TokenBody> {
  const token = randomToken(32);
  const createdAt = new Date();
  const scope = input.scopes.join(" ");
  await db
    .insertInto("oauth_tokens")
    .values({
      id: newId(createdAt),
      token_hash: hashToken(token),
      application_id: input.applicationId,
      account_id: input.accountId,
      scopes: scope,
      grant_id: input.grantId ?? null,
      created_at: createdAt,
    })
    .execute();
  return {
    access_token: token,
    token_type: "Bearer",
    scope,
    created_at: Math.floor(createdAt.getTime() / 1000),
  };
}

/** Revokes every token a user holds (password reset, account disabled or deleted). */
export async function revokeAccountTokens(db: Db, accountId: string): Promise<void> {
  await db
    .updateTable("oauth_tokens")
    .set({ revoked_at: new Date() })
    .where("account_id", "=", accountId)
    .where("revoked_at", "is", null)
    .execute();
}
