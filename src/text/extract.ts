// What a status refers to: the accounts it mentions and the hashtags it uses.
import { tokenize } from "./tokenize.ts";

export interface ExtractedMention {
  username: string;
  /** null for `@user` (a local account, or whoever the domain-less handle means here). */
  domain: string | null;
}

/** Mentions in order of first appearance, without repeats (case-insensitive). */
export function extractMentions(text: string): ExtractedMention[] {
  const seen = new Set<string>();
  const out: ExtractedMention[] = [];
  for (const t of tokenize(text)) {
    if (t.type !== "mention") continue;
    const key = `${t.username}@${t.domain ?? ""}`.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ username: t.username, domain: t.domain });
  }
  return out;
}

/** Hashtag names as written (without `#`), first spelling wins for repeats in other cases. */
export function extractHashtags(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of tokenize(text)) {
    if (t.type !== "hashtag") continue;
    const key = t.name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t.name);
  }
  return out;
}
