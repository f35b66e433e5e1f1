// The HTML the authorization endpoint shows: the consent form, the out-of-band code, errors,
// and the form_post hand-off. Plain forms, no script (the page CSP allows none).
import { html } from "hono/html";
import { page } from "../../web/layout.ts";

// Short explanations for the consent page; granular scopes are listed by name, as their
// names already say what they grant.
const SCOPE_TEXT: Record<string, string> = {
  read: "Read all your account's data",
  write: "Modify all your account's data",
  follow: "Modify account relationships",
  push: "Receive your push notifications",
  profile: "Read only your account's profile information",
  "admin:read": "Read all data on the server",
  "admin:write": "Modify all data on the server",
};

export interface ConsentView {
  instanceTitle: string;
  appName: string;
  website: string | null;
  username: string;
  scopes: readonly string[];
  csrf: string;
  /** The authorization parameters, echoed back so POST sees the same request. */
  fields: Record<string, string>;
}

function hiddenFields(fields: Record<string, string>) {
  return Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
}

export function consentPage(view: ConsentView) {
  const fields = hiddenFields(view.fields);
  const body = html`<h1>Authorization required</h1>
<p><strong>${view.appName}</strong>${
    view.website
      ? html` (<a href="${view.website}" rel="noopener noreferrer">${view.website}</a>)`
      : ""
  } would like permission to access your account <strong>@${view.username}</strong>.
It is a third-party application. If you do not trust it, then you should not authorize it.</p>
<h2>Review permissions</h2>
<ul class="scopes">${view.scopes.map(
    (s) => html`<li><code>${s}</code>${SCOPE_TEXT[s] ? html` ${SCOPE_TEXT[s]}` : ""}</li>`,
  )}</ul>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="authenticity_token" value="${view.csrf}">${fields}
<button type="submit" name="decision" value="approve">Authorize</button>
</form>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="authenticity_token" value="${view.csrf}">${fields}
<input type="hidden" name="_method" value="delete">
<button type="submit" class="secondary" name="decision" value="deny">Deny</button>
</form>`;
  return page("Authorization required", body, { instanceTitle: view.instanceTitle });
}

export function errorPage(instanceTitle: string, error: string, description: string) {
  const body = html`<h1>An error has occurred</h1>
<p class="error">${description}</p>
<p><code>${error}</code></p>`;
  return page("An error has occurred", body, { instanceTitle });
}

export function codePage(instanceTitle: string, code: string) {
  const body = html`<h1>Authorization code</h1>
<p>Copy this authorization code and paste it into the application.</p>
<p><code id="authorization_code">${code}</code></p>`;
  return page("Authorization code", body, { instanceTitle });
}

/** RFC 6749 Multiple Response Types form_post: the browser carries the result to the client. */
export function formPostPage(
  instanceTitle: string,
  action: string,
  fields: Record<string, string>,
) {
  const body = html`<h1>Returning to the application</h1>
<form method="post" action="${action}">${hiddenFields(fields)}
<button type="submit">Continue</button>
</form>`;
  return page("Returning to the application", body, { instanceTitle });
}
