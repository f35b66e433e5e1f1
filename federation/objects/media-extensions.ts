// Mastodon's `blurhash` and `focalPoint` on outbound attachments. Fedify's vocabulary has
// neither property, and Fedify serializes an activity itself (once to sign its Object
// Integrity Proof, again to send it), so a plain Document cannot carry them. These
// subclasses add them to the compact JSON-LD each time it is produced, with their term
// definitions in the document's @context, so the proof, the Linked Data signature and
// what receivers read all see the same document. Subclasses survive Fedify's clone(),
// which builds `new this.constructor(...)`; the extras ride along in a WeakMap.
//
// They only reach receivers when the activity is serialized in this process: Fedify's
// fan-out queue re-parses the JSON into plain vocabulary objects, so activities that carry
// extras are sent with `fanout: "skip"` (see federation/outbox/recipients.ts).
import { type Object as APObject, Create, Note, Question, Update } from "@fedify/vocab";

export interface DocumentExtras {
  blurhash: string | null;
  /** Mastodon's focus point, x and y in [-1, 1]. */
  focalPoint: [number, number] | null;
}

/** The extras of each attachment, keyed by the attachment's URL. */
export type MediaExtras = ReadonlyMap<string, DocumentExtras>;

const extrasOf = new WeakMap<object, MediaExtras>();

const TOOT = "http://joinmastodon.org/ns#";
const TERMS = {
  blurhash: `${TOOT}blurhash`,
  focalPoint: { "@container": "@list", "@id": `${TOOT}focalPoint` },
};

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function urlOf(attachment: Json): string | null {
  const url = Array.isArray(attachment.url) ? attachment.url[0] : attachment.url;
  if (typeof url === "string") return url;
  if (isObject(url) && typeof url.href === "string") return url.href;
  return null;
}

/** Adds the extras to the attachments of `node`; true when any was added. */
function extendAttachments(node: Json, extras: MediaExtras): boolean {
  const list = Array.isArray(node.attachment) ? node.attachment : [node.attachment];
  let changed = false;
  for (const attachment of list) {
    if (!isObject(attachment)) continue;
    const url = urlOf(attachment);
    const extra = url ? extras.get(url) : undefined;
    if (!extra) continue;
    if (extra.blurhash) attachment.blurhash = extra.blurhash;
    if (extra.focalPoint) attachment.focalPoint = extra.focalPoint;
    changed = changed || Boolean(extra.blurhash || extra.focalPoint);
  }
  return changed;
}

/**
 * Writes the extras into a compact JSON-LD document whose attachments are on the document
 * itself (a Note) or on its `object` (a Create or Update). Expanded output is left alone:
 * it only feeds the compaction of an enclosing object, which is extended instead.
 */
function extendJsonLd(json: unknown, format: string | undefined, extras?: MediaExtras): unknown {
  if (!extras || extras.size === 0 || format === "expand" || !isObject(json)) return json;
  const node = isObject(json.object) ? json.object : json;
  if (!extendAttachments(node, extras)) return json;
  const context = json["@context"];
  json["@context"] = [...(Array.isArray(context) ? context : context ? [context] : []), TERMS];
  return json;
}

type ToJsonLdOptions = Parameters<Note["toJsonLd"]>[0];

function formatOf(options: ToJsonLdOptions): string | undefined {
  return isObject(options) && typeof options.format === "string" ? options.format : undefined;
}

function carry<T extends object>(from: object, to: T): T {
  const extras = extrasOf.get(from);
  if (extras) extrasOf.set(to, extras);
  return to;
}

// A mixin's constructor must take `any[]` (TypeScript's rule for mixin classes).
// biome-ignore lint/suspicious/noExplicitAny: see above.
type VocabClass = new (...args: any[]) => APObject;

/** `Base` whose serializations carry the extras, and whose clones keep them. */
function withMediaExtras<B extends VocabClass>(Base: B) {
  return class extends Base {
    override clone(...args: Parameters<APObject["clone"]>): APObject {
      return carry(this, super.clone(...args));
    }
    override async toJsonLd(options?: ToJsonLdOptions): Promise<unknown> {
      return extendJsonLd(await super.toJsonLd(options), formatOf(options), extrasOf.get(this));
    }
  };
}

const NoteWithMedia = withMediaExtras(Note);
const QuestionWithMedia = withMediaExtras(Question);
const CreateWithMedia = withMediaExtras(Create);
const UpdateWithMedia = withMediaExtras(Update);

/** A Note, or a Question for a post with a poll, whose attachments carry the extras. */
export function noteWithMedia(
  values: ConstructorParameters<typeof Note>[0] & ConstructorParameters<typeof Question>[0],
  extras: MediaExtras,
  poll: boolean,
): Note | Question {
  const object = poll ? new QuestionWithMedia(values) : new NoteWithMedia(values);
  if (extras.size > 0) extrasOf.set(object, extras);
  return object;
}

/** The extras a status object carries, to hand on to the activity that wraps it. */
export function mediaExtrasOf(object: object): MediaExtras | undefined {
  return extrasOf.get(object);
}

/** Create or Update of a status object (`values.object`), carrying the object's extras. */
export function activityWithMedia<K extends "create" | "update">(
  kind: K,
  values: ConstructorParameters<typeof Create>[0] & { object: Note | Question },
): K extends "create" ? Create : Update {
  const activity = kind === "create" ? new CreateWithMedia(values) : new UpdateWithMedia(values);
  carry(values.object, activity);
  return activity as K extends "create" ? Create : Update;
}
