// Splits plain status text into the pieces Mastodon treats specially: URLs (only with an
// http(s) scheme, as Mastodon links them), `@user` / `@user@domain` mentions and
// `#hashtags`. Rendering, extraction and character counting all share this one scanner,
// so what counts as a link when counting is exactly what gets linked when rendering.
import { find } from "linkifyjs";

export type Token =
  | { type: "text"; value: string }
  | { type: "url"; value: string }
  | { type: "mention"; value: string; username: string; domain: string | null }
  | { type: "hashtag"; value: string; name: string };

// Mastodon's username syntax: word characters, with dots and dashes only between them.
const MENTION =
  /(?<![=/\p{L}\p{N}_])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@([\p{L}\p{N}_.-]*[\p{L}\p{N}_]))?/giu;
// A hashtag is letters, digits and underscores, not preceded by a word character (so
// `a#b` and URL fragments are not tags) and not made only of digits (`#1` is not a tag).
const HASHTAG = /(?<![=/)\p{L}\p{N}_])#([\p{L}\p{M}\p{N}_]+)/gu;

interface Span {
  start: number;
  end: number;
  token: Token;
}

export function tokenize(text: string): Token[] {
  const spans: Span[] = [];
  for (const link of find(text, "url")) {
    // Bare domains ("example.com", "www.x.com") stay text: Mastodon links only schemes.
    if (!/^https?:\/\//i.test(link.value)) continue;
    spans.push({
      start: link.start,
      end: link.end,
      token: { type: "url", value: link.value },
    });
  }
  const free = (start: number, end: number) => !spans.some((s) => start < s.end && end > s.start);

  for (const m of text.matchAll(MENTION)) {
    const start = m.index;
    const end = start + m[0].length;
    if (!free(start, end)) continue;
    spans.push({
      start,
      end,
      token: { type: "mention", value: m[0], username: m[1]!, domain: m[2] ?? null },
    });
  }
  for (const m of text.matchAll(HASHTAG)) {
    const start = m.index;
    const end = start + m[0].length;
    const name = m[1]!;
    if (/^\d+$/.test(name) || !free(start, end)) continue;
    spans.push({ start, end, token: { type: "hashtag", value: m[0], name } });
  }

  spans.sort((a, b) => a.start - b.start);
  const tokens: Token[] = [];
  let last = 0;
  for (const span of spans) {
    if (span.start > last) tokens.push({ type: "text", value: text.slice(last, span.start) });
    tokens.push(span.token);
    last = span.end;
  }
  if (last < text.length) tokens.push({ type: "text", value: text.slice(last) });
  return tokens;
}
