// A faster timestamptz parser for node-postgres. pg hands every timestamptz to postgres-date,
// whose regular expressions cover BC years, infinity and bare dates; a home page holds about
// 200 timestamps and that parser was a tenth of a millisecond of each request
// (docs/benchmarks.md). PostgreSQL prints them as `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`
// (DateStyle ISO, the default); that shape is read here by character codes into the very
// Date postgres-date returns, and anything else goes to postgres-date.
import pg from "pg";

const TIMESTAMPTZ = 1184;
const fallback = pg.types.getTypeParser(TIMESTAMPTZ, "text") as (value: string) => unknown;

/** Two decimal digits at `i`, or NaN. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

export function parseTimestamptz(text: string): unknown {
  // Four-digit years only: 0–99 and BC need postgres-date's care.
  if (
    text.length < 22 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 || // space
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58
  ) {
    return fallback(text);
  }
  const year = two(text, 0) * 100 + two(text, 2);
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    // The fraction as postgres-date reads it (1000 × parseFloat(".ffffff"), truncated by Date.UTC).
    let j = i + 1;
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j += 1;
    ms = 1000 * Number.parseFloat(text.slice(i, j));
    i = j;
  }
  const sign = text.charCodeAt(i);
  if (sign !== 43 && sign !== 45) return fallback(text);
  let offset = two(text, i + 1) * 3600;
  i += 3;
  // Optional :MM and :SS of the offset (India is +05:30; LMT offsets have seconds).
  for (const unit of [60, 1]) {
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 58) return fallback(text);
    offset += two(text, i + 1) * unit;
    i += 3;
  }
  if (i !== text.length) return fallback(text);
  const time =
    Date.UTC(
      year,
      two(text, 5) - 1,
      two(text, 8),
      two(text, 11),
      two(text, 14),
      two(text, 17),
      ms,
    ) -
    (sign === 45 ? -offset : offset) * 1000;
  if (year < 1000 || Number.isNaN(time)) return fallback(text);
  return new Date(time);
}

/** The `types` of a pg pool: node-postgres' parsers, with the timestamptz one above. */
export const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === TIMESTAMPTZ && format !== "binary") return parseTimestamptz;
    return pg.types.getTypeParser(oid, format);
  },
};
