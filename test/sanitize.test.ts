// Remote HTML reduced to Mastodon's allowlist, and Misskey MFM rendered to it.
import { describe, expect, it } from "vitest";
import { htmlToText, renderMfm, sanitizeHtml } from "../federation/objects/sanitize.ts";

describe("sanitizeHtml", () => {
  it("drops scripts, styles, handlers and unknown elements, keeping their text where harmless", () => {
    expect(
      sanitizeHtml(
        '<p onclick="x()" style="color:red">a<script>b()</script><style>p{}</style><img src=x onerror=y><font>c</font></p>',
      ),
    ).toBe("<p>ac</p>");
  });

  it("keeps Mastodon's formatting elements", () => {
    const html =
      '<p>a<br>b</p><pre><code>c</code></pre><blockquote><p>d</p></blockquote><ul><li>e</li></ul><ol start="3" reversed=""><li value="4">f</li></ol><p><del>g</del><s>h</s><em>i</em><strong>j</strong><b>k</b><i>l</i><u>m</u><sub>n</sub><sup>o</sup></p>';
    expect(sanitizeHtml(html)).toBe(
      html.replace("<br>", "<br />").replace(' reversed=""', " reversed"),
    );
  });

  it("shows headings as bold paragraphs", () => {
    expect(sanitizeHtml('<h1>Title</h1><h3 lang="fr">Sous-titre</h3>')).toBe(
      '<p><strong>Title</strong></p><p lang="fr"><strong>Sous-titre</strong></p>',
    );
  });

  it("keeps safe links with rel and target, turns other schemes into text", () => {
    expect(
      sanitizeHtml('<a href="https://x.example/" rel="me" class="u-url mention evil">x</a>'),
    ).toBe(
      '<a href="https://x.example/" rel="nofollow noopener" class="u-url mention" target="_blank">x</a>',
    );
    expect(
      sanitizeHtml(
        '<p><a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a><a href="/rel">c</a><a>d</a></p>',
      ),
    ).toBe("<p>abcd</p>");
  });

  it("keeps only known span classes and translate=no", () => {
    expect(
      sanitizeHtml(
        '<span class="h-card invisible ellipsis hashtag evil" translate="yes" id="x">a</span>',
      ),
    ).toBe('<span class="h-card invisible ellipsis hashtag">a</span>');
    expect(sanitizeHtml('<span translate="no">a</span>')).toBe('<span translate="no">a</span>');
  });
});

describe("renderMfm", () => {
  it("renders MFM with mentions and hashtags from the note's tags, escaping raw HTML", () => {
    const html = renderMfm("**bold** @alice <script>x</script> #tag $[spin fun]\n`code`", {
      mentionHref: (acct) => (acct === "@alice" ? "https://misskey.example/@alice" : undefined),
      hashtagHref: (tag) => `https://misskey.example/tags/${tag}`,
    });
    expect(html).toContain("<b>bold</b>");
    expect(html).toContain('<a href="https://misskey.example/@alice" class="u-url mention"');
    expect(html).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(html).toContain('<a href="https://misskey.example/tags/tag" class="mention hashtag"');
    expect(html).toContain("fun<br /><code>code</code>");
    expect(html).not.toContain("$[");
  });

  it("leaves a mention it can't resolve as text", () => {
    expect(renderMfm("hi @bob@elsewhere.example")).toBe("<p>hi @bob@elsewhere.example</p>");
  });
});

describe("htmlToText", () => {
  it("strips tags and decodes entities", () => {
    expect(htmlToText("<p>a &amp; b &lt;3 &#x1F600;</p><p>c</p>")).toBe("a & b <3 😀\n\nc");
  });
});
