// Validates PATCH /api/v1/accounts/update_credentials parameters into ProfileChanges, with
// Mastodon's limits and its 422 shape (`details` per field). Apps send JSON, urlencoded or
// multipart (with avatar/header files); body.ts gives all three the same nested shape, so
// `fields_attributes` is an array or a `{"0": {...}}` object whatever the encoding.
import type { ProfileChanges } from "../../accounts/account-service.ts";
import { type ValidationDetails, validationError } from "../../accounts/local-account-service.ts";
import type { Params } from "../../http/body.ts";
import { railsBoolean } from "./accounts-params.ts";

export const DISPLAY_NAME_MAX = 30;
export const NOTE_MAX = 500;
export const FIELDS_MAX = 4;
export const FIELD_TEXT_MAX = 255;

const PRIVACIES = ["public", "unlisted", "private"];
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

// Mastodon counts user-perceived characters: an emoji is one.
function length(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n += 1;
  return n;
}

function tooLong(max: number) {
  return { error: "ERR_TOO_LONG", description: `is too long (maximum is ${max} characters)` };
}

export function parseProfileChanges(params: Params): ProfileChanges {
  const details: ValidationDetails = {};
  const fail = (field: string, error: string, description: string) => {
    details[field] = [...(details[field] ?? []), { error, description }];
  };
  const text = (key: string): string | undefined => {
    const value = params[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") {
      fail(key, "ERR_INVALID", "is invalid");
      return undefined;
    }
    return value;
  };

  const changes: ProfileChanges = {};
  const displayName = text("display_name");
  if (displayName !== undefined) {
    if (length(displayName) > DISPLAY_NAME_MAX) {
      details.display_name = [tooLong(DISPLAY_NAME_MAX)];
    }
    changes.display_name = displayName;
  }
  const note = text("note");
  if (note !== undefined) {
    if (length(note) > NOTE_MAX) details.note = [tooLong(NOTE_MAX)];
    changes.note = note;
  }
  for (const key of ["locked", "bot", "discoverable", "indexable", "hide_collections"] as const) {
    if (params[key] === undefined) continue;
    const parsed = railsBoolean.safeParse(params[key]);
    if (!parsed.success) fail(key, "ERR_INVALID", "is invalid");
    else if (parsed.data !== undefined) changes[key] = parsed.data;
  }

  if (params.fields_attributes !== undefined) {
    const fields = parseFields(params.fields_attributes);
    if (fields === undefined) fail("fields", "ERR_INVALID", "is invalid");
    else {
      if (fields.length > FIELDS_MAX) {
        fail("fields", "ERR_TOO_LONG", `is too big (maximum is ${FIELDS_MAX} fields)`);
      }
      if (fields.some((f) => length(f.name) > FIELD_TEXT_MAX || length(f.value) > FIELD_TEXT_MAX)) {
        fail("fields", "ERR_TOO_LONG", `is too long (maximum is ${FIELD_TEXT_MAX} characters)`);
      }
      changes.fields = fields;
    }
  }

  const source = params.source;
  if (source !== undefined && source !== null) {
    if (typeof source !== "object" || Array.isArray(source)) {
      fail("source", "ERR_INVALID", "is invalid");
    } else {
      changes.source = parseSource(source as Params, fail);
    }
  }

  // Files are processed by updateProfile; an empty form value means "no change".
  for (const key of ["avatar", "header"] as const) {
    const value = params[key];
    if (value instanceof File && value.size > 0) changes[key] = value;
    else if (value !== undefined && value !== null && value !== "" && !(value instanceof File)) {
      fail(key, "ERR_INVALID", "is invalid");
    }
  }
  if (Object.keys(details).length) throw validationError(details);
  return changes;
}

function parseSource(
  source: Params,
  fail: (field: string, error: string, description: string) => void,
): NonNullable<ProfileChanges["source"]> {
  const out: NonNullable<ProfileChanges["source"]> = {};
  if (source.privacy !== undefined && source.privacy !== null && source.privacy !== "") {
    if (typeof source.privacy !== "string" || !PRIVACIES.includes(source.privacy)) {
      fail("source.privacy", "ERR_INCLUSION", "is not included in the list");
    } else out.privacy = source.privacy;
  }
  if (source.sensitive !== undefined) {
    const parsed = railsBoolean.safeParse(source.sensitive);
    if (!parsed.success) fail("source.sensitive", "ERR_INVALID", "is invalid");
    else if (parsed.data !== undefined) out.sensitive = parsed.data;
  }
  if (source.language !== undefined) {
    const language = source.language;
    if (language === null || language === "") out.language = null;
    else if (typeof language !== "string" || !/^[a-z]{2,3}$/i.test(language)) {
      fail("source.language", "ERR_INCLUSION", "is not included in the list");
    } else out.language = language.toLowerCase();
  }
  return out;
}

/**
 * `fields_attributes`: a list of `{name, value}`, or Rails' indexed-hash form
 * (`fields_attributes[0][name]=...`) ordered by index. Entries with both parts blank are
 * dropped, as Mastodon drops them. Undefined when the shape is wrong.
 */
function parseFields(value: unknown): { name: string; value: string }[] | undefined {
  let entries: unknown[];
  if (Array.isArray(value)) entries = value;
  else if (value !== null && typeof value === "object") {
    const obj = value as Params;
    entries = Object.keys(obj)
      .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
      .map((k) => obj[k]);
  } else if (value === "") {
    // An empty form value clears the fields.
    return [];
  } else return undefined;
  const fields: { name: string; value: string }[] = [];
  for (const entry of entries) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return undefined;
    const { name = "", value: fieldValue = "" } = entry as Params;
    if (typeof name !== "string" || typeof fieldValue !== "string") return undefined;
    if (name.trim() === "" && fieldValue.trim() === "") continue;
    fields.push({ name: name.trim(), value: fieldValue.trim() });
  }
  return fields;
}
