// The `poll` parameter of POST/PUT /api/v1/statuses, read and checked as Mastodon does:
// options are stripped and blanks dropped, then 2..max options of at most N characters
// each, no duplicates, and an expires_in within the advertised bounds. Forms send
// `poll[options][]=a&poll[expires_in]=300`; JSON sends `{"poll": {...}}`; both arrive here
// as the same nested object (src/http/body.ts).
import { z } from "zod";
import { ApiError } from "../http/errors.ts";
import { POLL_LIMITS } from "../instance/limits.ts";

export interface NewPoll {
  options: string[];
  /** Seconds from now. */
  expiresIn: number;
  multiple: boolean;
  hideTotals: boolean;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Characters as a person counts them (one emoji, one character), as Mastodon counts. */
export function graphemeLength(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

// Forms send every value as a string; JSON sends real types. Rails casts both the same way.
const boolish = z
  .union([z.boolean(), z.number(), z.string()])
  .optional()
  .nullable()
  .transform((v, ctx) => {
    if (v === undefined || v === null) return false;
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0;
    const s = v.trim().toLowerCase();
    if (["true", "1", "on", "t", "yes"].includes(s)) return true;
    if (["false", "0", "off", "f", "no", ""].includes(s)) return false;
    ctx.addIssue({ code: "custom", message: "is not a boolean" });
    return z.NEVER;
  });

const pollSchema = z.object({
  options: z
    .union([z.array(z.union([z.string(), z.number()])), z.string()])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).map(String)),
  expires_in: z.union([z.number(), z.string()]).optional().nullable(),
  multiple: boolish,
  hide_totals: boolish,
});

/** Whether a request carried a poll at all (absent, null and "" mean none). */
export function hasPollParam(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** The checked poll of a request, or 422 with Mastodon's wording. */
export function parsePollParam(value: unknown): NewPoll {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw ApiError.unprocessable("Validation failed: Poll is invalid");
  }
  const parsed = pollSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "poll").replace("_", " ");
    throw ApiError.unprocessable(`Validation failed: Poll ${field} is invalid`);
  }
  const p = parsed.data;
  const options = p.options.map((o) => o.trim()).filter((o) => o !== "");
  if (options.length < 2) {
    throw ApiError.unprocessable("Validation failed: Poll options must have more than one item");
  }
  if (options.length > POLL_LIMITS.maxOptions) {
    throw ApiError.unprocessable(
      `Validation failed: Poll options can't contain more than ${POLL_LIMITS.maxOptions} items`,
    );
  }
  if (options.some((o) => graphemeLength(o) > POLL_LIMITS.maxCharactersPerOption)) {
    throw ApiError.unprocessable(
      `Validation failed: Poll options cannot be longer than ${POLL_LIMITS.maxCharactersPerOption} characters each`,
    );
  }
  if (new Set(options).size !== options.length) {
    throw ApiError.unprocessable("Validation failed: Poll options contain duplicate items");
  }
  const raw = p.expires_in;
  const expiresIn = typeof raw === "number" ? raw : raw ? Number(raw.trim()) : Number.NaN;
  if (raw === undefined || raw === null || raw === "") {
    throw ApiError.unprocessable("Validation failed: Poll expires at can't be blank");
  }
  if (!Number.isFinite(expiresIn)) {
    throw ApiError.unprocessable("Validation failed: Poll expires in is not a number");
  }
  if (expiresIn < POLL_LIMITS.minExpiration) {
    throw ApiError.unprocessable("Validation failed: Poll expires at is too soon");
  }
  if (expiresIn > POLL_LIMITS.maxExpiration) {
    throw ApiError.unprocessable("Validation failed: Poll expires at is too far into the future");
  }
  return {
    options,
    expiresIn: Math.floor(expiresIn),
    multiple: p.multiple,
    hideTotals: p.hide_totals,
  };
}
