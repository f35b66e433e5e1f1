// Remote HTML is untrusted: everything received is reduced to the markup Mastodon keeps
// (its "strict" allowlist), so clients can render it as they render Mastodon posts, and no
// script, style, event handler or javascript: link ever reaches a browser. Misskey's MFM
// source, when present, is rendered here too, because its HTML fallback loses formatting.
import * as mfm from "mfm-js";
import sanitize from "sanitize-html";

/** Link schemes kept as links; any other link becomes its text (as in Mastodon). */
const LINK_SCHEMES = new Set([
  "http",
  "https",
  "dat",
  "dweb",
  "ipfs",
  "ipns",
  "ssb",
  "gopher",
  "xmpp",
  "magnet",
  "gemini",
]);

/** Classes with a meaning to Mastodon clients: microformats, mentions, link shortening. */
const ALLOWED_CLASSES = [/^(h|p|u|dt|e)-/, /^mention$/, /^hashtag$/, /^ellipsis$/, /^invisible$/];

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"];

function isAllowedHref(href: string | undefined): boolean {
  const match = /^\s*([a-z][a-z0-9+.-]*):/i.exec(href ?? "");
  return match !== null && LINK_SCHEMES.has(match[1]!.toLowerCase());
}

/** `translate` only as an opt-out ("no"); other values mean nothing to clients. */
function withoutTranslate(attribs: sanitize.Attributes): sanitize.Attributes {
  if (attribs.translate === undefined || attribs.translate === "no") return attribs;
  const { translate: _, ...rest } = attribs;
  return rest;
}

const OPTIONS: sanitize.IOptions = {
  allowedTags: [
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "ruby",
    "rt",
    "rp",
    // Kept through the first pass only, then turned into bold paragraphs (below).
    ...HEADINGS,
  ],
  allowedAttributes: {
    "*": ["lang"],
    a: ["href", "rel", "class", "target", "translate"],
    span: ["class", "translate"],
    p: ["class"],
    ol: ["start", "reversed"],
    li: ["value"],
  },
  allowedClasses: { a: ALLOWED_CLASSES, span: ALLOWED_CLASSES, p: ALLOWED_CLASSES },
  allowedSchemes: [...LINK_SCHEMES],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  // Elements not listed are dropped but their text is kept; these lose their text too.
  nonTextTags: ["script", "style", "textarea", "option", "noscript", "title", "head", "template"],
  // A link with a refused (or no) scheme becomes its text, as in Mastodon.
  exclusiveFilter: (frame) =>
    frame.tag === "a" && !isAllowedHref(frame.attribs.href) ? "excludeTag" : false,
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...withoutTranslate(attribs), rel: "nofollow noopener", target: "_blank" },
    }),
    span: (tagName, attribs) => ({ tagName, attribs: withoutTranslate(attribs) }),
  },
};

/** Reduces remote HTML to Mastodon's allowlist. */
export function sanitizeHtml(html: string): string {
  const cleaned = sanitize(html, OPTIONS);
  // Mastodon shows headings as bold paragraphs; after the first pass they carry no
  // attributes (only lang), so the tags can be rewritten textually.
  return cleaned
    .replace(
      /<h[1-6](\s+lang="[^"]*")?>/g,
      (_m, lang: string | undefined) => `<p${lang ?? ""}><strong>`,
    )
    .replace(/<\/h[1-6]>/g, "</strong></p>");
}

/** Text as HTML text: the five characters that matter escaped. */
export function escapeText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Plain text (no markup) as paragraphs with line breaks. */
export function plainTextToParagraphs(text: string): string {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => `<p>${escapeText(p).replace(/\r?\n/g, "<br>")}</p>`)
    .join("");
}

export interface MfmRenderOptions {
  /** Where a mention points: `@user` or `@user@host` to a profile URL (from the note's tags). */
  mentionHref?: (acct: string) => string | undefined;
  /** Where a hashtag points (the note's Hashtag tags, else the author's server). */
  hashtagHref?: (tag: string) => string | undefined;
}

function renderMfmNodes(nodes: mfm.MfmNode[], options: MfmRenderOptions): string {
  return nodes.map((n) => renderMfmNode(n, options)).join("");
}

function textWithBreaks(text: string): string {
  return escapeText(text).replace(/\r?\n/g, "<br>");
}

function renderMfmNode(node: mfm.MfmNode, options: MfmRenderOptions): string {
  const children = () => renderMfmNodes(node.children ?? [], options);
  switch (node.type) {
    case "text":
      return textWithBreaks(node.props.text);
    case "plain":
      return children();
    case "bold":
      return `<b>${children()}</b>`;
    case "italic":
      return `<i>${children()}</i>`;
    case "strike":
      return `<del>${children()}</del>`;
    // Size and layout effects have no Mastodon equivalent: the content alone remains.
    case "small":
    case "center":
    case "fn":
      return children();
    case "quote":
      return `<blockquote>${children()}</blockquote>`;
    case "inlineCode":
      return `<code>${escapeText(node.props.code)}</code>`;
    case "blockCode":
      return `<pre><code>${escapeText(node.props.code)}</code></pre>`;
    case "mathInline":
      return `<code>${escapeText(node.props.formula)}</code>`;
    case "mathBlock":
      return `<pre><code>${escapeText(node.props.formula)}</code></pre>`;
    case "search":
      return escapeText(node.props.content);
    case "emojiCode":
      return `:${escapeText(node.props.name)}:`;
    case "unicodeEmoji":
      return escapeText(node.props.emoji);
    case "mention": {
      const href = options.mentionHref?.(node.props.acct);
      const label = escapeText(node.props.acct);
      if (!href) return label;
      return `<span class="h-card"><a href="${escapeText(href)}" class="u-url mention">${label}</a></span>`;
    }
    case "hashtag": {
      const href = options.hashtagHref?.(node.props.hashtag);
      const label = `#${escapeText(node.props.hashtag)}`;
      if (!href) return label;
      return `<a href="${escapeText(href)}" class="mention hashtag" rel="tag">${label}</a>`;
    }
    case "url":
      return `<a href="${escapeText(node.props.url)}">${escapeText(node.props.url)}</a>`;
    case "link":
      return `<a href="${escapeText(node.props.url)}">${children()}</a>`;
    default:
      return children();
  }
}

/** Misskey Flavored Markdown to sanitized HTML, in one paragraph as Misskey renders it. */
export function renderMfm(text: string, options: MfmRenderOptions = {}): string {
  const nodes = mfm.parse(text, { nestLimit: 20 });
  return sanitizeHtml(`<p>${renderMfmNodes(nodes, options)}</p>`);
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

/** The text of an HTML fragment (for content warnings and titles, shown as text). */
export function htmlToText(html: string): string {
  const text = sanitize(html.replace(/<br\s*\/?>/gi, "\n").replace(/<\/p>\s*<p>/gi, "\n\n"), {
    allowedTags: [],
    allowedAttributes: {},
  });
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === "#") {
      const code =
        body[1] === "x" || body[1] === "X"
          ? Number.parseInt(body.slice(2), 16)
          : Number.parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}
