// The shell of every server-rendered page. No JavaScript: forms post back to the server.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Content = HtmlEscapedString | Promise<HtmlEscapedString> | string;

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f4f7;color:#1d1d24}
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #bbb;border-radius:.375rem;font:inherit}
button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:.375rem;background:#5b4fd6;color:#fff;font:inherit;cursor:pointer}
button.secondary{background:#ddd;color:#222}.error{color:#b00020}.notice{color:#1b6e1b}
.links{margin-top:1.5rem;font-size:.9rem}code{background:#eee;padding:.2rem .4rem;border-radius:.25rem;word-break:break-all}
`;

export function page(
  title: string,
  body: Content,
  // `head`: extra elements (OpenGraph tags, alternate links) for public pages.
  options: { instanceTitle?: string; head?: Content } = {},
) {
  const site = options.instanceTitle ?? "Roost";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} - ${site}</title>
<style>${raw(STYLE)}</style>
${options.head ?? ""}
</head>
<body><main>${body}</main></body>
</html>`;
}

export function messages(errors: readonly string[] = [], notice?: string) {
  return html`${errors.map((e) => html`<p class="error">${e}</p>`)}${
    notice ? html`<p class="notice">${notice}</p>` : ""
  }`;
}
