// DELETE /api/v1/profile/avatar and /header (Mastodon 4.2+): back to the default picture.
// Answers the CredentialAccount like update_credentials, and like it emits account.updated,
// which federates the profile Update to followers.
import { Hono } from "hono";
import { countFollowRequests } from "../../accounts/account-service.ts";
import { loadMovedAccount, serializeCredentialAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { emitEvent } from "../../events/emit.ts";
import type { AppEnv } from "../../http/types.ts";
import { deleteProfileImage, type ProfileImageKind } from "../../media/profile-images.ts";
import type { Services } from "../../services.ts";

export function profileRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  for (const kind of ["avatar", "header"] as const) {
    app.delete(`/v1/profile/${kind}`, requireAuth(["write", "write:accounts"]), async (c) => {
      const services = c.get("services");
      const viewer = currentAccount(c);
      const account = await removeProfileImage(services, viewer.id, kind);
      const [user, moved, followRequestsCount] = await Promise.all([
        services.db
          .selectFrom("users")
          .selectAll()
          .where("account_id", "=", account.id)
          .executeTakeFirstOrThrow(),
        loadMovedAccount(services.db, account),
        countFollowRequests(services.db, account.id),
      ]);
      return c.json(
        serializeCredentialAccount(account, user, services.config, { moved, followRequestsCount }),
      );
    });
  }

  return app;
}

/** Clears the picture; the stored file goes after the commit. Nothing to do when none is set. */
async function removeProfileImage(services: Services, accountId: string, kind: ProfileImageKind) {
  const column = kind === "avatar" ? "avatar_url" : "header_url";
  const { before, account } = await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("accounts")
      .select(column)
      .where("id", "=", accountId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const updated = await trx
      .updateTable("accounts")
      // Touched only when there was a picture: deleting none is not a profile change.
      .set(row[column] ? { [column]: null, updated_at: new Date() } : { [column]: null })
      .where("id", "=", accountId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { before: row[column], account: updated };
  });
  if (before) {
    await deleteProfileImage(services, before);
    await emitEvent(services, "account.updated", { accountId });
  }
  return account;
}
