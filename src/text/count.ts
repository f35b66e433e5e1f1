// Status length as Mastodon counts it against the limit: every http(s) URL counts as 23
// characters however long it is, a remote mention counts only its `@user` part, and
// characters are user-perceived ones (grapheme clusters), so an emoji counts once.
import { tokenize } from "./tokenize.ts";

export const URL_LENGTH = 23;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function graphemes(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n += 1;
  return n;
}

export function countCharacters(text: string): number {
  let total = 0;
  for (const t of tokenize(text)) {
    if (t.type === "url") total += URL_LENGTH;
    else if (t.type === "mention") total += graphemes(`@${t.username}`);
    else total += graphemes(t.value);
  }
  return total;
}
