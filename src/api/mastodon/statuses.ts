// /api/v1/statuses: post, read, edit, delete, and a status's history, source and thread.
// Actions on a status (favourite, boost, ...) are in statuses-actions.ts.
import type { KvKey } from "@fedify/fedify";
import { Hono } from "hono";
import { serializeAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { loadActiveFilters } from "../../filters/match.ts";
import { queryParams, readParams } from "../../http/body.ts";
import type { AppEnv } from "../../http/types.ts";
import { durationOf } from "../../infra/temporal.ts";
import { mediaOfEdits, mediaOfStatuses } from "../../media/serializer.ts";
import { hasPollParam, parsePollParam } from "../../polls/params.ts";
import { findPollOfStatus } from "../../polls/store.ts";
import { scheduleFromRequest } from "../../scheduled/request.ts";
import { scheduledAtParam } from "../../scheduled/service.ts";
import { deleteStatus } from "../../statuses/delete-status.ts";
import { editStatus } from "../../statuses/edit-status.ts";
import { findVisibleStatus, findVisibleStatuses, threadContext } from "../../statuses/queries.ts";
import { serializeStatus, serializeStatuses } from "../../statuses/serializer.ts";
import { createStatus } from "../../statuses/status-service.ts";
import { parseFocus } from "./media.ts";
import {
  bool,
  defaultVisibility,
  language,
  listOf,
  optionalViewer,
  str,
  visibility,
  WRITE_STATUSES,
} from "./statuses-params.ts";

const IDEMPOTENCY_TTL_MS = 60 * 60 * 1000;
const MAX_MULTIPLE = 20;

export function statusRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/v1/statuses", requireAuth(WRITE_STATUSES), async (c) => {
    const services = c.get("services");
    const auth = c.get("auth")!;
    const account = currentAccount(c);
    const params = await readParams(c);

    // A retried request (same Idempotency-Key) gets the status the first one created.
    const idempotencyKey = c.req.header("idempotency-key")?.trim();
    const kvKey: KvKey | undefined = idempotencyKey
      ? ["idempotency", "statuses", account.id, idempotencyKey.slice(0, 200)]
      : undefined;
    if (kvKey) {
      const previous = await services.kv.get<string>(kvKey);
      if (previous) {
        const row = await services.db
          .selectFrom("statuses")
          .selectAll()
          .where("id", "=", previous)
          .where("account_id", "=", account.id)
          .executeTakeFirst();
        if (row) return c.json(await serializeStatus(services, account, row));
      }
    }

    const poll = hasPollParam(params.poll) ? parsePollParam(params.poll) : undefined;
    const inReplyTo = str(params.in_reply_to_id, "In reply to");
    const settings = auth.user?.settings;
    const lang = language(params.language);
    const input = {
      text: str(params.status, "Text") ?? "",
      spoilerText: str(params.spoiler_text, "Spoiler text") ?? "",
      sensitive: bool(params.sensitive, "Sensitive") ?? settings?.default_sensitive === true,
      visibility: visibility(params.visibility) ?? defaultVisibility(settings),
      language:
        lang ?? (typeof settings?.default_language === "string" ? settings.default_language : null),
      inReplyToId: inReplyTo ? inReplyTo : null,
      applicationId: auth.applicationId,
      mediaIds: mediaIdsParam(params.media_ids),
      poll,
    };
    // `scheduled_at` five minutes or more ahead: stored for later (src/scheduled), not posted.
    const scheduledAt = scheduledAtParam(params.scheduled_at);
    if (scheduledAt) {
      return c.json(
        await scheduleFromRequest(services, account, input, scheduledAt, idempotencyKey),
      );
    }
    const row = await createStatus(services, account, input);
    if (kvKey) await services.kv.set(kvKey, row.id, { ttl: durationOf(IDEMPOTENCY_TTL_MS) });
    return c.json(await serializeStatus(services, account, row));
  });

  app.get("/v1/statuses", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const q = queryParams(c);
    const ids = listOf(q.id ?? q["id[]"])
      .filter((v): v is string => typeof v === "string")
      .slice(0, MAX_MULTIPLE);
    const rows = await findVisibleStatuses(services.db, viewer?.id ?? null, ids);
    return c.json(await serializeStatuses(services, viewer, rows));
  });

  app.get("/v1/statuses/:id", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const row = await findVisibleStatus(services.db, viewer?.id ?? null, c.req.param("id"));
    return c.json(await serializeStatus(services, viewer, row));
  });

  app.delete("/v1/statuses/:id", requireAuth(WRITE_STATUSES), async (c) => {
    const services = c.get("services");
    const account = currentAccount(c);
    const id = c.req.param("id");
    // Rendered before the row goes, so the answer can show it (with its source text).
    const row = await findVisibleStatus(services.db, account.id, id);
    const entity = await serializeStatus(services, account, row);
    const deleted = await deleteStatus(services, account, id);
    return c.json({ ...entity, text: deleted.text });
  });

  app.put("/v1/statuses/:id", requireAuth(WRITE_STATUSES), async (c) => {
    const services = c.get("services");
    const account = currentAccount(c);
    const params = await readParams(c);
    // As on Mastodon, an edit carries the whole poll: without one, the poll goes.
    const poll = hasPollParam(params.poll) ? parsePollParam(params.poll) : null;
    const row = await editStatus(services, account, c.req.param("id"), {
      text: str(params.status, "Text"),
      spoilerText: str(params.spoiler_text, "Spoiler text"),
      sensitive: bool(params.sensitive, "Sensitive"),
      language: language(params.language),
      // Absent keeps the attachments; an empty list (or `media_ids[]=`) removes them all.
      mediaIds: params.media_ids === undefined ? undefined : mediaIdsParam(params.media_ids),
      mediaAttributes: mediaAttributesParam(params.media_attributes),
      poll,
    });
    return c.json(await serializeStatus(services, account, row));
  });

  app.get("/v1/statuses/:id/history", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const status = await findVisibleStatus(services.db, viewer?.id ?? null, c.req.param("id"));
    const author = await services.db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", status.account_id)
      .executeTakeFirstOrThrow();
    const edits = await services.db
      .selectFrom("status_edits")
      .selectAll()
      .where("status_id", "=", status.id)
      .orderBy("id", "asc")
      .execute();
    // A status never edited has one version: itself.
    const versions = edits.length
      ? edits
      : [
          {
            content: status.content,
            spoiler_text: status.spoiler_text,
            sensitive: status.sensitive,
            created_at: status.created_at,
            poll_options: (await findPollOfStatus(services.db, status.id))?.options ?? null,
          },
        ];
    const account = serializeAccount(author, services.config);
    const media = edits.length
      ? await mediaOfEdits(
          services.db,
          services.config,
          edits.map((e) => e.media),
        )
      : [(await mediaOfStatuses(services.db, services.config, [status.id])).get(status.id) ?? []];
    return c.json(
      versions.map((v, i) => ({
        content: v.content,
        spoiler_text: v.spoiler_text,
        sensitive: v.sensitive,
        created_at: new Date(v.created_at).toISOString(),
        account,
        poll: v.poll_options ? { options: v.poll_options.map((title) => ({ title })) } : null,
        media_attachments: media[i] ?? [],
        emojis: [],
      })),
    );
  });

  app.get("/v1/statuses/:id/source", requireAuth(["read", "read:statuses"]), async (c) => {
    const services = c.get("services");
    const account = currentAccount(c);
    const status = await findVisibleStatus(services.db, account.id, c.req.param("id"));
    return c.json({ id: status.id, text: status.text, spoiler_text: status.spoiler_text });
  });

  app.get("/v1/statuses/:id/context", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const viewerId = viewer?.id ?? null;
    const status = await findVisibleStatus(services.db, viewerId, c.req.param("id"));
    const { ancestors, descendants } = await threadContext(services.db, viewerId, status);
    // The viewer's filters are loaded once for both halves of the thread.
    const options = {
      filterContext: "thread" as const,
      filters: viewer ? await loadActiveFilters(services.db, viewer.id) : [],
    };
    const [a, d] = await Promise.all([
      serializeStatuses(services, viewer, ancestors, options),
      serializeStatuses(services, viewer, descendants, options),
    ]);
    return c.json({ ancestors: a, descendants: d });
  });

  return app;
}

function mediaIdsParam(value: unknown): string[] {
  return listOf(value)
    .filter((v) => v !== "")
    .map((v) => str(v, "Media ids") ?? "");
}

/** `media_attributes[][id]=1&media_attributes[][description]=...`, as JSON or a form. */
function mediaAttributesParam(
  value: unknown,
): { id: string; description?: string; focus?: { x: number; y: number } }[] {
  const list = Array.isArray(value)
    ? value
    : value && typeof value === "object"
      ? Object.values(value)
      : [];
  return list.flatMap((item) => {
    if (!item || typeof item !== "object") return [];
    const attr = item as Record<string, unknown>;
    const id = str(attr.id, "Media attribute id");
    if (!id) return [];
    return [
      {
        id,
        description: str(attr.description, "Description"),
        focus: parseFocus(attr.focus),
      },
    ];
  });
}
