// /api/v1/polls: reading a poll and voting. A poll is seen through its status: where the
// viewer may not see the status, the poll is "not found" too.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { serializePoll } from "../../polls/serializer.ts";
import { findPoll } from "../../polls/store.ts";
import { voteOnPoll } from "../../polls/votes.ts";
import { findVisibleStatus } from "../../statuses/queries.ts";
import { listOf, optionalViewer, WRITE_STATUSES } from "./statuses-params.ts";

/** `choices[]=0&choices[]=2` or `{"choices": [0, 2]}`: option indexes. */
function choicesParam(value: unknown): number[] {
  const list = listOf(value).filter((v) => v !== "");
  if (list.length === 0) {
    throw ApiError.badRequest("param is missing or the value is empty: choices");
  }
  return list.map((v) => {
    const n =
      typeof v === "number"
        ? v
        : typeof v === "string" && /^\d+$/.test(v.trim())
          ? Number(v)
          : Number.NaN;
    // Anything but an index names no option.
    if (!Number.isInteger(n)) {
      throw ApiError.unprocessable("Validation failed: The chosen vote option does not exist");
    }
    return n;
  });
}

export function pollRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/polls/:id", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const poll = await findPoll(services.db, c.req.param("id"));
    if (!poll) throw ApiError.notFound("Record not found");
    await findVisibleStatus(services.db, viewer?.id ?? null, poll.status_id);
    return c.json(await serializePoll(services.db, viewer?.id ?? null, poll));
  });

  app.post("/v1/polls/:id/votes", requireAuth(WRITE_STATUSES), async (c) => {
    const services = c.get("services");
    const account = currentAccount(c);
    const params = await readParams(c);
    const choices = choicesParam(params.choices);
    const poll = await voteOnPoll(services, account, c.req.param("id"), choices);
    return c.json(await serializePoll(services.db, account.id, poll));
  });

  return app;
}
