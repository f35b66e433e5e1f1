// The filter matcher on its own (src/filters/match.ts): word boundaries as Mastodon draws
// them, what text is searched, contexts, expiry, and applyFilters on rendered statuses.
import { describe, expect, it } from "vitest";
import {
  applyFilters,
  compileFilter,
  type FilterableStatus,
  htmlText,
  isHidden,
  keywordPattern,
  matchFilters,
} from "../src/filters/match.ts";
import type { FilterAction } from "../src/infra/db/schema.ts";
import type { MastodonStatus } from "../src/statuses/serializer.ts";
import { expectSchema } from "./helpers/openapi.ts";

function filter(
  id: string,
  keywords: [string, boolean][],
  options: {
    context?: string[];
    action?: FilterAction;
    expiresAt?: Date | null;
    statusIds?: string[];
  } = {},
) {
  return compileFilter(
    {
      id,
      title: `filter ${id}`,
      action: options.action ?? "warn",
      context: options.context ?? ["home"],
      expires_at: options.expiresAt ?? null,
    },
    keywords.map(([keyword, whole_word]) => ({ keyword, whole_word })),
    options.statusIds ?? [],
  );
}

const status = (content: string, extra: Partial<FilterableStatus> = {}): FilterableStatus => ({
  ids: ["100"],
  content,
  ...extra,
});

describe("keywordPattern", () => {
  const matches = (keyword: string, whole: boolean, text: string) =>
    keywordPattern(keyword, whole).test(text);

  it("draws word boundaries only at word characters of the keyword", () => {
    expect(matches("cat", true, "a Cat.")).toBe(true);
    expect(matches("cat", true, "concatenate")).toBe(false);
    expect(matches("cat", true, "cats")).toBe(false);
    expect(matches("cat", false, "concatenate")).toBe(true);
    // "#tag" has no word character at its start, so "x#tag" still matches, as on Mastodon.
    expect(matches("#tag", true, "x#tag")).toBe(true);
    expect(matches("#tag", true, "#tags")).toBe(false);
    expect(matches("c++", true, "I write c++ daily")).toBe(true);
    expect(matches("c++", true, "abc++")).toBe(false);
    // Unicode letters are word characters (JS \\b would say otherwise).
    expect(matches("caf", true, "café")).toBe(false);
    expect(matches("café", true, "Le CAFÉ noir")).toBe(true);
    expect(matches("über", true, "Übermensch")).toBe(false);
    expect(matches("über", true, "so über, wow")).toBe(true);
  });

  it("takes regular-expression characters literally", () => {
    expect(matches("a.b", false, "axb")).toBe(false);
    expect(matches("a.b", false, "see a.b here")).toBe(true);
    expect(matches("(x)", true, "is (x) ok")).toBe(true);
    expect(matches("[a-z]/", false, "q")).toBe(false);
    expect(matches("a-b", true, "an a-b test")).toBe(true);
  });
});

describe("matchFilters", () => {
  it("searches the content warning, text, poll options and media descriptions", () => {
    const f = [filter("1", [["needle", true]])];
    expect(matchFilters(f, "home", status("<p>hay</p>"))).toEqual([]);
    for (const s of [
      status("<p>a needle here</p>"),
      status("<p>hay</p>", { spoilerText: "Needle!" }),
      status("<p>hay</p>", { pollOptions: ["yes", "needle"] }),
      status("<p>hay</p>", { mediaDescriptions: [null, "a needle in a photo"] }),
    ]) {
      const [result] = matchFilters(f, "home", s);
      expect(result?.keyword_matches).toEqual(["needle"]);
      expectSchema("FilterResult", result);
    }
  });

  it("does not join words across tags and decodes entities", () => {
    const f = [
      filter("1", [
        ["foobar", true],
        ["a&b", true],
      ]),
    ];
    expect(matchFilters(f, "home", status("<p>foo</p><p>bar</p>"))).toEqual([]);
    expect(matchFilters(f, "home", status("<p>foo<br>bar</p>"))).toEqual([]);
    expect(matchFilters(f, "home", status("<p>x a&amp;b y</p>"))[0]?.keyword_matches).toEqual([
      "a&b",
    ]);
    expect(htmlText("<p>one &lt;two&gt; &#39;three&#x27;</p><p>four</p>")).toBe(
      "one <two> 'three'\n\nfour",
    );
  });

  it("reports each matching filter once with the keywords and statuses that matched", () => {
    const filters = [
      filter("1", [
        ["red", true],
        ["blue", true],
        ["green", true],
      ]),
      filter("2", [], { statusIds: ["200"] }),
      filter("3", [["red", false]], { context: ["public"] }),
    ];
    const boost: FilterableStatus = { ids: ["300", "200"], content: "<p>red and blue</p>" };
    const results = matchFilters(filters, "home", boost);
    expect(results).toEqual([
      {
        filter: {
          id: "1",
          title: "filter 1",
          context: ["home"],
          expires_at: null,
          filter_action: "warn",
        },
        keyword_matches: ["red", "blue"],
        status_matches: null,
      },
      {
        filter: expect.objectContaining({ id: "2" }),
        keyword_matches: null,
        status_matches: ["200"],
      },
    ]);
    // Without a context every filter counts, the public-only one too.
    expect(matchFilters(filters, null, boost).map((r) => r.filter.id)).toEqual(["1", "2", "3"]);
  });

  it("ignores filters once they expire, even when compiled before", () => {
    const soon = new Date(Date.now() + 60_000);
    const f = [filter("1", [["x", true]], { expiresAt: soon, action: "hide" })];
    expect(isHidden(matchFilters(f, "home", status("x")))).toBe(true);
    expect(matchFilters(f, "home", status("x"), soon.getTime() + 1)).toEqual([]);
    expect(f[0]!.summary.expires_at).toBe(soon.toISOString());
  });
});

describe("applyFilters", () => {
  const entity = (id: string, content: string, reblog: MastodonStatus | null = null) =>
    ({
      id,
      content,
      spoiler_text: "",
      media_attachments: [],
      poll: null,
      reblog,
      filtered: [],
    }) as unknown as MastodonStatus;

  it("drops hidden statuses only in a context and marks the rest, boosts included", () => {
    const filters = [
      filter("1", [["bad", true]], { action: "hide" }),
      filter("2", [["meh", true]], { action: "warn" }),
    ];
    const page = () => [
      entity("1", "<p>fine</p>"),
      entity("2", "<p>bad</p>"),
      entity("3", "", entity("30", "<p>meh</p>")),
    ];
    const shown = applyFilters(filters, "home", page());
    expect(shown.map((s) => s.id)).toEqual(["1", "3"]);
    expect(shown[0]!.filtered).toEqual([]);
    expect(shown[1]!.filtered?.map((r) => r.filter.id)).toEqual(["2"]);
    expect(shown[1]!.reblog?.filtered).toEqual(shown[1]!.filtered);
    // Other contexts: the filters are for home only.
    expect(applyFilters(filters, "public", page()).map((s) => s.id)).toEqual(["1", "2", "3"]);
    // No context: nothing dropped, the hide result reported.
    const all = applyFilters(filters, null, page());
    expect(all.map((s) => s.id)).toEqual(["1", "2", "3"]);
    expect(all[1]!.filtered?.[0]?.filter.filter_action).toBe("hide");
  });

  it("reads poll options from a rendered poll", () => {
    const withPoll = {
      ...entity("1", "<p>vote</p>"),
      poll: { options: [{ title: "pineapple" }, { title: "ham" }] },
    } as unknown as MastodonStatus;
    const [shown] = applyFilters([filter("1", [["pineapple", true]])], "home", [withPoll]);
    expect(shown?.filtered?.[0]?.keyword_matches).toEqual(["pineapple"]);
  });
});
