import { describe, expect, it } from "vitest";
import { countCharacters } from "../src/text/count.ts";
import { extractHashtags, extractMentions } from "../src/text/extract.ts";
import { linkHtml, renderNote, renderPlainText } from "../src/text/render.ts";

const publicUrl = "https://roost.example";
const alice = { username: "alice", domain: null, url: "https://roost.example/@alice" };
const bob = { username: "bob", domain: "remote.example", url: "https://remote.example/@bob" };

describe("renderPlainText", () => {
  it("splits paragraphs at blank lines and breaks lines", () => {
    expect(renderPlainText("one\ntwo\n\nthree\r\n \r\nfour")).toBe(
      "<p>one<br />two</p><p>three</p><p>four</p>",
    );
  });

  it("returns an empty string for blank text", () => {
    expect(renderPlainText("  \n ")).toBe("");
  });

  it("escapes HTML", () => {
    expect(renderPlainText(`<script>alert("x")</script> & 'q'`)).toBe(
      "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</p>",
    );
  });

  it("links short URLs without an ellipsis", () => {
    expect(renderPlainText("see https://example.com/a?b=1.")).toBe(
      '<p>see <a href="https://example.com/a?b=1" target="_blank" rel="nofollow noopener" translate="no">' +
        '<span class="invisible">https://</span><span class="">example.com/a?b=1</span>' +
        '<span class="invisible"></span></a>.</p>',
    );
  });

  it("cuts long URLs after 30 characters, hiding www. with the scheme", () => {
    const url = "https://www.example.com/a/very/long/path/that/goes/on";
    expect(linkHtml(url)).toBe(
      `<a href="${url}" target="_blank" rel="nofollow noopener" translate="no">` +
        '<span class="invisible">https://www.</span>' +
        '<span class="ellipsis">example.com/a/very/long/path/t</span>' +
        '<span class="invisible">hat/goes/on</span></a>',
    );
  });

  it("does not link bare domains or other schemes", () => {
    expect(renderPlainText("example.com and ftp://x.y")).toBe("<p>example.com and ftp://x.y</p>");
  });

  it("escapes quotes inside link targets", () => {
    const html = renderPlainText('https://example.com/"onmouseover=x');
    expect(html).not.toContain('"onmouseover');
  });

  it("links resolved mentions only", () => {
    const html = renderPlainText("hi @alice, @Bob@Remote.example and @carol", {
      publicUrl,
      mentions: [alice, bob],
    });
    expect(html).toBe(
      '<p>hi <span class="h-card" translate="no"><a href="https://roost.example/@alice" class="u-url mention">@<span>alice</span></a></span>, ' +
        '<span class="h-card" translate="no"><a href="https://remote.example/@bob" class="u-url mention">@<span>bob</span></a></span>' +
        " and @carol</p>",
    );
  });

  it("treats @user@localdomain as the local user", () => {
    const html = renderPlainText("@alice@roost.example", { publicUrl, mentions: [alice] });
    expect(html).toContain('href="https://roost.example/@alice"');
  });

  it("does not take e-mail addresses for mentions", () => {
    const html = renderPlainText("mail me@alice.example", { publicUrl, mentions: [alice] });
    expect(html).toBe("<p>mail me@alice.example</p>");
  });

  it("links hashtags, not numbers or fragments", () => {
    const html = renderPlainText("#Roost #123 a#b #日本語 https://x.example/#frag", { publicUrl });
    expect(html).toContain(
      '<a href="https://roost.example/tags/Roost" class="mention hashtag" rel="tag">#<span>Roost</span></a>',
    );
    expect(html).toContain(" #123 a#b ");
    expect(html).toContain(`href="https://roost.example/tags/${encodeURIComponent("日本語")}"`);
    expect(html).not.toContain("tags/frag");
  });

  it("renderNote renders bios the same way", () => {
    expect(renderNote("a\nb")).toBe("<p>a<br />b</p>");
  });
});

describe("extraction", () => {
  it("extracts mentions once each", () => {
    expect(extractMentions("@alice @ALICE @bob@remote.example. @a.b-c x@y")).toEqual([
      { username: "alice", domain: null },
      { username: "bob", domain: "remote.example" },
      { username: "a.b-c", domain: null },
    ]);
  });

  it("ignores mentions inside URLs", () => {
    expect(extractMentions("https://example.com/@alice")).toEqual([]);
  });

  it("extracts hashtags once each, not all-digit ones", () => {
    expect(extractHashtags("#One #one #2 #two_2 #_x")).toEqual(["One", "two_2", "_x"]);
  });
});

describe("countCharacters", () => {
  it("counts plain characters as graphemes", () => {
    expect(countCharacters("hello")).toBe(5);
    expect(countCharacters("👍🏽é")).toBe(2);
  });

  it("counts every URL as 23", () => {
    const long = `https://example.com/${"x".repeat(200)}`;
    expect(countCharacters(`a ${long}`)).toBe(2 + 23);
    expect(countCharacters("https://a.b")).toBe(23);
  });

  it("counts only @user of remote mentions", () => {
    expect(countCharacters("@bob@remote.example")).toBe(4);
    expect(countCharacters("@bob")).toBe(4);
  });
});
