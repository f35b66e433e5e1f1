// Events every local user hears on their `user` stream (announcements). They ride the
// addressed channel the hub already delivers from, with every local account as recipient:
// each process writes only to the connections it holds, so no hub change is needed. Large
// servers get several messages, so no single pub/sub message grows without bound.
import type { Services } from "../services.ts";
import type { StreamEvent } from "./channels.ts";
import { publishAddressed } from "./publish.ts";

const RECIPIENTS_PER_MESSAGE = 5000;

/** `payload`: a string goes on the wire as is (a bare id); anything else as its JSON. */
export async function publishToAllUsers(
  services: Services,
  event: StreamEvent,
  payload: unknown,
): Promise<void> {
  const wire = typeof payload === "string" ? payload : JSON.stringify(payload);
  let after = "0";
  for (;;) {
    const rows = await services.db
      .selectFrom("users")
      .select("account_id")
      .where("account_id", ">", after)
      .orderBy("account_id", "asc")
      .limit(RECIPIENTS_PER_MESSAGE)
      .execute();
    if (rows.length === 0) return;
    await publishAddressed(services, {
      event,
      streams: ["user"],
      recipients: rows.map((r) => String(r.account_id)),
      payload: wire,
    });
    if (rows.length < RECIPIENTS_PER_MESSAGE) return;
    after = String(rows.at(-1)?.account_id);
  }
}
