// The fast timestamptz parser (src/infra/db/timestamps.ts) must give exactly the Date that
// node-postgres' own parser gives, for every shape PostgreSQL prints, and hand the rest over.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { parseTimestamptz } from "../src/infra/db/timestamps.ts";

const reference = pg.types.getTypeParser(1184, "text") as (value: string) => unknown;

function same(text: string) {
  const ours = parseTimestamptz(text);
  const theirs = reference(text);
  expect(ours instanceof Date ? ours.getTime() : ours, text).toEqual(
    theirs instanceof Date ? theirs.getTime() : theirs,
  );
}

describe("parseTimestamptz", () => {
  it("matches postgres-date on the shapes PostgreSQL prints", () => {
    for (const text of [
      "2026-11-21 13:44:43+00",
      "2026-11-21 13:44:43.1+00",
      "2026-11-21 13:44:43.12+00",
      "2026-11-21 13:44:43.289+00",
      "2026-11-21 13:44:43.924123+00",
      "2026-11-21 23:59:59.999999+05:30",
      "2026-02-28 00:00:00-08",
      "1900-01-01 00:00:00+00:19:32",
      "1999-12-31 23:59:59.5-03:30",
      "2000-02-29 12:00:00+14",
    ]) {
      same(text);
    }
  });

  it("matches postgres-date on random instants and offsets", () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const pad = (n: number, w = 2) => String(n).padStart(w, "0");
    for (let k = 0; k < 2000; k++) {
      const fraction = next(3) === 0 ? "" : `.${pad(next(1_000_000), 6).slice(0, 1 + next(6))}`;
      const hours = next(15);
      const offset = `${next(2) ? "+" : "-"}${pad(hours)}${next(3) === 0 ? `:${pad(next(60))}` : ""}`;
      same(
        `${1000 + next(9000)}-${pad(1 + next(12))}-${pad(1 + next(28))} ` +
          `${pad(next(24))}:${pad(next(60))}:${pad(next(60))}${fraction}${offset}`,
      );
    }
  });

  it("leaves the other shapes to postgres-date", () => {
    for (const text of [
      "infinity",
      "-infinity",
      "0044-03-15 12:00:00+00 BC",
      "0099-01-01 00:00:00+00",
      "12026-01-01 00:00:00+00",
      "2026-11-21",
      "2026-11-21 13:44:43",
      "2026-11-21 13:44:43Z",
      "2026-13-45 99:99:99+00",
    ]) {
      same(text);
    }
  });
});
