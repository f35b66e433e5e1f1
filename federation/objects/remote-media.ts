// Attachments of received posts (Document, Image, Video, Audio, or a bare Link), read into
// media rows shown by their remote URL. Blurhash and focal point are Mastodon extensions
// Fedify's vocabulary does not model, so they are read from the object's JSON-LD.

import { type Object as APObject, Link } from "@fedify/vocab";
import type { MediaMeta, MediaType } from "../../src/infra/db/schema.ts";
import { sourceJsonOf } from "./source-json.ts";

/** Mastodon's ACTIVITYPUB_STATUS_ATTACHMENT_MAX: more are ignored. */
export const MAX_REMOTE_ATTACHMENTS = 16;
const MAX_DESCRIPTION = 1_500;

export interface RemoteAttachment {
  url: string;
  type: MediaType;
  contentType: string | null;
  description: string | null;
  blurhash: string | null;
  meta: MediaMeta;
}

function typeOf(mediaType: string | null): MediaType {
  if (!mediaType) return "unknown";
  if (mediaType.startsWith("image/")) return "image";
  if (mediaType.startsWith("video/")) return "video";
  if (mediaType.startsWith("audio/")) return "audio";
  return "unknown";
}

function httpUrl(value: URL | null | undefined): string | null {
  return value && (value.protocol === "https:" || value.protocol === "http:") ? value.href : null;
}

/** A JSON-LD value in compact (`"blurhash"`) or expanded (`toot:blurhash`) form. */
function extension(json: Record<string, unknown>, name: string): unknown {
  if (name in json) return json[name];
  const expanded = json[`http://joinmastodon.org/ns#${name}`];
  if (Array.isArray(expanded)) {
    const first = expanded[0] as { "@value"?: unknown; "@list"?: unknown } | undefined;
    return first?.["@value"] ?? first?.["@list"] ?? first;
  }
  return undefined;
}

interface Extras {
  blurhash: string | null;
  focus?: { x: number; y: number };
}

/** Blurhash and focal point per attachment URL, from the post's JSON-LD (either form). */
async function extrasByUrl(object: APObject): Promise<Map<string, Extras>> {
  const out = new Map<string, Extras>();
  const json = await sourceJsonOf(object);
  if (!json) return out;
  const raw = json.attachment ?? json["https://www.w3.org/ns/activitystreams#attachment"];
  const items = Array.isArray(raw) ? raw : raw ? [raw] : [];
  for (const item of items) {
    if (!item || typeof item !== "object") continue;
    const entry = item as Record<string, unknown>;
    const url = firstUrl(entry.url ?? entry["https://www.w3.org/ns/activitystreams#url"]);
    if (!url) continue;
    const hash = extension(entry, "blurhash");
    const blurhash =
      typeof hash === "string" && /^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,200}$/.test(hash)
        ? hash
        : null;
    let focus: { x: number; y: number } | undefined;
    const point = extension(entry, "focalPoint");
    const values = Array.isArray(point)
      ? point.map((v) => (typeof v === "object" && v ? (v as { "@value"?: unknown })["@value"] : v))
      : [];
    const [x, y] = values;
    if (typeof x === "number" && typeof y === "number" && Math.abs(x) <= 1 && Math.abs(y) <= 1) {
      focus = { x, y };
    }
    out.set(url, { blurhash, focus });
  }
  return out;
}

function firstUrl(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === "string") return first;
  if (first && typeof first === "object") {
    const obj = first as Record<string, unknown>;
    const id = obj["@id"] ?? obj.href ?? obj["https://www.w3.org/ns/activitystreams#href"];
    return typeof id === "string" ? id : firstUrl(id);
  }
  return null;
}

export async function readAttachments(object: APObject): Promise<RemoteAttachment[]> {
  const out: RemoteAttachment[] = [];
  const extras = await extrasByUrl(object);
  // Embedded attachments only: one given as a bare IRI would cost a fetch each.
  for await (const item of object.getAttachments({ suppressError: true, crossOrigin: "ignore" })) {
    if (out.length >= MAX_REMOTE_ATTACHMENTS) break;
    if (item instanceof URL || !("mediaType" in item)) continue;
    let url: string | null = null;
    let mediaType: string | null = null;
    let description: string | null = null;
    let width: number | null = null;
    let height: number | null = null;
    if (item instanceof Link) {
      url = httpUrl(item.href);
      mediaType = item.mediaType;
    } else {
      const first = item.urls[0];
      url = first instanceof Link ? httpUrl(first.href) : httpUrl(first);
      const media = item as APObject & {
        mediaType?: string | null;
        width?: number | null;
        height?: number | null;
      };
      mediaType = media.mediaType ?? (first instanceof Link ? first.mediaType : null);
      description = item.name?.toString().slice(0, MAX_DESCRIPTION) ?? null;
      width = media.width ?? null;
      height = media.height ?? null;
    }
    if (!url) continue;
    const { blurhash = null, focus } = extras.get(url) ?? {};
    const meta: MediaMeta = {};
    if (width && height && width > 0 && height > 0) {
      meta.original = {
        width,
        height,
        size: `${width}x${height}`,
        aspect: Math.round((width / height) * 1e6) / 1e6,
      };
    }
    if (focus) meta.focus = focus;
    out.push({
      url,
      type: typeOf(mediaType),
      contentType: mediaType?.slice(0, 100) ?? null,
      description: description || null,
      blurhash,
      meta,
    });
  }
  return out;
}

/**
 * Attachments of a domain whose media is rejected (a domain block's reject_media): kept
 * as links to their remote URL, typed "unknown" with no preview, so clients neither load
 * nor show the files (Mastodon leaves such media undownloaded and shows links).
 */
export function asRejectedMedia(attachments: RemoteAttachment[]): RemoteAttachment[] {
  return attachments.map((a) => ({ ...a, type: "unknown", blurhash: null, meta: {} }));
}
