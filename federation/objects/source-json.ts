// Properties outside Fedify's vocabulary (Mastodon's blurhash and focalPoint, Misskey's
// _misskey_content) exist only in the JSON the sender wrote. Fedify keeps that JSON for a
// document it parsed at the top level (its toJsonLd() returns it), but rebuilds an object
// embedded in an activity from the expanded form, which drops them. Inbox handlers
// therefore remember an embedded object's own JSON from the received payload; that payload
// is what the signature covered, and the object is matched to it by id and origin.
import type { InboxContext } from "@fedify/fedify";
import type { Object as APObject } from "@fedify/vocab";

type Json = Record<string, unknown>;

const embedded = new WeakMap<APObject, Json>();

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Remembers the JSON of `object` as embedded in the activity being received. */
export function rememberEmbeddedJson(ctx: InboxContext<unknown>, object: APObject): void {
  // Fedify's InboxContext keeps the payload as received, for forwardActivity().
  const payload = (ctx as unknown as { activity?: unknown }).activity;
  if (!isObject(payload) || !object.id) return;
  // Only an object of the sender's own origin is taken as sent (Fedify re-fetches others).
  const actor = typeof payload.actor === "string" ? payload.actor : null;
  if (!actor || !URL.canParse(actor) || new URL(actor).origin !== object.id.origin) return;
  const inner = Array.isArray(payload.object) ? payload.object : [payload.object];
  const match = inner.find((o) => isObject(o) && o.id === object.id?.href);
  if (isObject(match)) embedded.set(object, match);
}

/** The object's JSON as its sender wrote it, when known; else Fedify's serialization. */
export async function sourceJsonOf(object: APObject): Promise<Json | null> {
  const known = embedded.get(object);
  if (known) return known;
  const json = await object.toJsonLd().catch(() => null);
  return isObject(json) ? json : null;
}
