// Driving the inbox from a test in the two ways the federation tests need: through the real
// HTTP inbox (signed, queued, handled by the worker), or by handing an activity straight to
// its handler and awaiting it, so that "nothing happened" is known to be final.
import type { InboxContext } from "@fedify/fedify";
import { expect } from "vitest";
import type { FederationContextData } from "../../federation/context.ts";
import { federationContext } from "../../federation/index.ts";
import { type RemoteActor, signedPost } from "./remote-actors.ts";
import type { TestContext } from "./services.ts";

/** POSTs `activity`, signed by `by`, to the shared inbox of `origin`; expects it queued (202). */
export async function postToInbox(
  ctx: TestContext,
  origin: string,
  activity: Record<string, unknown>,
  by: RemoteActor,
): Promise<void> {
  const res = await ctx.app.request(await signedPost(`${origin}/inbox`, activity, by));
  expect(res.status).toBe(202);
}

/** The context the shared inbox would give the handler of `activity` (of type `type`). */
export function inboxContextOf(
  ctx: TestContext,
  activity: Record<string, unknown>,
  type: string,
): InboxContext<FederationContextData> {
  // toInboxContext is Fedify's internal way from a Context to an InboxContext.
  const base = federationContext(ctx.services) as unknown as {
    toInboxContext(
      recipient: string | null,
      activity: unknown,
      id: string,
      type: string,
    ): InboxContext<FederationContextData>;
  };
  return base.toInboxContext(null, activity, activity.id as string, type);
}
