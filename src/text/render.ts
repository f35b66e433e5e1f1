// Plain text to HTML, the way Mastodon renders local statuses: paragraphs at blank lines,
// `<br />` at single line breaks, everything escaped, and links, mentions and hashtags in
// Mastodon's markup (apps style them by these classes, so the shape matters).
import { type Token, tokenize } from "./tokenize.ts";

export interface MentionTarget {
  username: string;
  /** null for local accounts. */
  domain: string | null;
  /** The profile page linked from the mention. */
  url: string;
}

export interface RenderOptions {
  /** Accounts the text mentions that could be resolved; other mentions stay plain text. */
  mentions?: readonly MentionTarget[];
  /** This server's public URL, for hashtag links. Without it hashtags stay plain text. */
  publicUrl?: string;
  /** This server's domain, so `@user@thisdomain` means the local user (default: publicUrl's host). */
  localDomain?: string;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

// The scheme (and a leading "www.") are hidden, the next 30 characters are shown, and the
// rest is kept in an invisible span (so copying yields the whole URL) with an ellipsis.
const PREFIX = /^https?:\/\/(www\.)?/i;
const SHOWN = 30;

export function linkHtml(url: string): string {
  const prefix = url.match(PREFIX)?.[0] ?? "";
  const rest = url.slice(prefix.length);
  const shown = rest.slice(0, SHOWN);
  const tail = rest.slice(SHOWN);
  return (
    `<a href="${escapeHtml(url)}" target="_blank" rel="nofollow noopener" translate="no">` +
    `<span class="invisible">${escapeHtml(prefix)}</span>` +
    `<span class="${tail ? "ellipsis" : ""}">${escapeHtml(shown)}</span>` +
    `<span class="invisible">${escapeHtml(tail)}</span></a>`
  );
}

function mentionHtml(target: MentionTarget): string {
  return (
    `<span class="h-card" translate="no"><a href="${escapeHtml(target.url)}" class="u-url mention">` +
    `@<span>${escapeHtml(target.username)}</span></a></span>`
  );
}

function hashtagHtml(publicUrl: string, name: string): string {
  return (
    `<a href="${escapeHtml(`${publicUrl}/tags/${encodeURIComponent(name)}`)}" class="mention hashtag" rel="tag">` +
    `#<span>${escapeHtml(name)}</span></a>`
  );
}

function findTarget(
  token: Extract<Token, { type: "mention" }>,
  options: RenderOptions,
): MentionTarget | undefined {
  const localDomain = (
    options.localDomain ?? (options.publicUrl ? new URL(options.publicUrl).host : "")
  ).toLowerCase();
  let domain = token.domain?.toLowerCase() ?? null;
  if (domain === localDomain) domain = null;
  const username = token.username.toLowerCase();
  return options.mentions?.find(
    (m) => m.username.toLowerCase() === username && (m.domain?.toLowerCase() ?? null) === domain,
  );
}

function renderInline(text: string, options: RenderOptions): string {
  let html = "";
  for (const token of tokenize(text)) {
    switch (token.type) {
      case "url":
        html += linkHtml(token.value);
        break;
      case "mention": {
        const target = findTarget(token, options);
        html += target ? mentionHtml(target) : escapeHtml(token.value);
        break;
      }
      case "hashtag":
        html += options.publicUrl
          ? hashtagHtml(options.publicUrl, token.name)
          : escapeHtml(token.value);
        break;
      default:
        html += escapeHtml(token.value);
    }
  }
  return html;
}

/** A status's text as HTML. Empty text gives "". */
export function renderPlainText(text: string, options: RenderOptions = {}): string {
  const normalized = text.replace(/\r\n?/g, "\n").trim();
  if (!normalized) return "";
  // Tokens never span a line break, so rendering first and splitting after is safe.
  return renderInline(normalized, options)
    .split(/\n(?:[ \t]*\n)+/)
    .map((p) => `<p>${p.replaceAll("\n", "<br />")}</p>`)
    .join("");
}

/** A profile bio or similar: the same rendering; mentions link only when targets are given. */
export function renderNote(text: string, options: RenderOptions = {}): string {
  return renderPlainText(text, options);
}
