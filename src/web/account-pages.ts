// Forgotten-password and account-settings pages. The reset request answers the same
// whether or not the address is registered; the reset itself needs the mailed link; changing
// the email needs the current password and takes effect once the new address is confirmed.
import { Hono } from "hono";
import { html } from "hono/html";
import {
  findUserByResetToken,
  requestPasswordReset,
  resetPassword,
} from "../accounts/password-service.ts";
import { normalizeEmail, requestEmailChange } from "../accounts/registration-service.ts";
import { announceRevocation } from "../auth/token-cache.ts";
import { readParams } from "../http/body.ts";
import type { AppEnv } from "../http/types.ts";
import {
  csrfField,
  field,
  formErrors,
  notice,
  rejectCsrf,
  render,
  tooManyRequests,
} from "./forms.ts";
import { messages } from "./layout.ts";
import { currentSession, type WebSession } from "./session.ts";
import { throttle } from "./throttle.ts";

type Ctx = Parameters<typeof csrfField>[0];

const REQUESTED =
  "If your email address exists in our database, you will receive a password recovery link at your email address in a few minutes.";
const INVALID_LINK =
  "This password reset link is invalid or has expired. You can ask for a new one.";

export function accountPageRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // --- Forgotten password ----------------------------------------------------------------

  const requestForm = (c: Ctx, text: { errors?: string[]; notice?: string } = {}) =>
    html`<h1>Forgot your password?</h1>${messages(text.errors, text.notice)}
<form method="post" action="/auth/password/new">${csrfField(c)}
<label for="email">Email address</label>
<input type="email" id="email" name="email" autocomplete="email" required>
<button type="submit">Send reset link</button>
</form>
<p class="links"><a href="/auth/sign_in">Sign in</a></p>`;

  app.get("/auth/password/new", (c) => render(c, "Forgot your password?", requestForm(c)));

  const requestReset = async (c: Ctx) => {
    const params = await readParams(c);
    const rejected = await rejectCsrf(c, params);
    if (rejected) return rejected;
    const email = normalizeEmail(field(params, "email"));
    const limited = await throttle(c, [
      ["authIp", "ip"],
      ["resetEmail", email],
    ]);
    if (limited.exceeded) return tooManyRequests(c, limited.retryAfter);
    await requestPasswordReset(c.get("services"), email);
    return render(c, "Forgot your password?", requestForm(c, { notice: REQUESTED }));
  };
  app.post("/auth/password/new", requestReset);
  // Mastodon's own form posts here.
  app.post("/auth/password", requestReset);

  // --- Reset from the mailed link --------------------------------------------------------

  const resetForm = (c: Ctx, token: string, errors: string[] = []) =>
    html`<h1>Choose a new password</h1>${messages(errors)}
<form method="post" action="/auth/password/edit">${csrfField(c)}
<input type="hidden" name="reset_password_token" value="${token}">
<label for="password">New password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="8">
<label for="password_confirmation">Confirm new password</label>
<input type="password" id="password_confirmation" name="password_confirmation" autocomplete="new-password" required>
<button type="submit">Change password</button>
</form>`;

  const invalidLink = (c: Ctx) =>
    notice(
      c,
      "Invalid link",
      { errors: [INVALID_LINK] },
      html`<p class="links"><a href="/auth/password/new">Ask for a new link</a></p>`,
      404,
    );

  app.get("/auth/password/edit", async (c) => {
    const token = c.req.query("reset_password_token") ?? "";
    const user = await findUserByResetToken(c.get("services").db, token);
    if (!user) return invalidLink(c);
    return render(c, "Choose a new password", resetForm(c, token));
  });

  app.post("/auth/password/edit", async (c) => {
    const params = await readParams(c);
    const rejected = await rejectCsrf(c, params);
    if (rejected) return rejected;
    const limited = await throttle(c, [["authIp", "ip"]]);
    if (limited.exceeded) return tooManyRequests(c, limited.retryAfter);
    const token = field(params, "reset_password_token");
    const result = await resetPassword(c.get("services").db, {
      token,
      password: field(params, "password"),
      confirmation:
        params.password_confirmation === undefined
          ? undefined
          : field(params, "password_confirmation"),
    });
    if (result.ok) {
      // Signed out everywhere includes open streaming connections.
      await announceRevocation(c.get("services"), { accountIds: [result.user.account_id] });
      return notice(
        c,
        "Password changed",
        {
          notice:
            "Your password has been changed. You have been signed out everywhere; sign in with the new password.",
        },
        html`<p class="links"><a href="/auth/sign_in">Sign in</a></p>`,
      );
    }
    if (result.invalidToken) return invalidLink(c);
    const errors = Object.entries(result.details).flatMap(([name, list]) =>
      list.map(
        (d) => `${name === "password" ? "Password" : "Password confirmation"} ${d.description}`,
      ),
    );
    return render(c, "Choose a new password", resetForm(c, token, errors), 422);
  });

  // --- Settings: change email ------------------------------------------------------------

  const settingsPage = (
    c: Ctx,
    session: WebSession,
    text: { errors?: string[]; notice?: string } = {},
  ) => {
    const { user, account } = session;
    return html`<h1>Account settings</h1>${messages(text.errors, text.notice)}
<p>Signed in as <strong>@${account.username}</strong>.</p>
<p>Email address: <code>${user.email}</code>${user.confirmed_at ? "" : " (not confirmed yet)"}</p>
${
  user.unconfirmed_email
    ? html`<p>Waiting for confirmation of <code>${user.unconfirmed_email}</code>: follow the link sent there.</p>`
    : ""
}
<form method="post" action="/auth/settings">${csrfField(c)}
<label for="email">New email address</label>
<input type="email" id="email" name="email" autocomplete="email" required>
<label for="current_password">Current password</label>
<input type="password" id="current_password" name="current_password" autocomplete="current-password" required>
<button type="submit">Change email</button>
</form>
<form method="post" action="/auth/sign_out">${csrfField(c)}<button class="secondary" type="submit">Sign out</button></form>
<p class="links"><a href="/">Home</a></p>`;
  };

  app.get("/auth/settings", async (c) => {
    const session = await currentSession(c);
    if (!session) return c.redirect("/auth/sign_in?return_to=%2Fauth%2Fsettings", 302);
    return render(c, "Account settings", settingsPage(c, session));
  });

  app.post("/auth/settings", async (c) => {
    const params = await readParams(c);
    const rejected = await rejectCsrf(c, params);
    if (rejected) return rejected;
    const session = await currentSession(c);
    if (!session) return c.redirect("/auth/sign_in?return_to=%2Fauth%2Fsettings", 302);
    const limited = await throttle(c, [["authIp", "ip"]]);
    if (limited.exceeded) return tooManyRequests(c, limited.retryAfter);

    const email = normalizeEmail(field(params, "email"));
    let pending = false;
    const errors = await formErrors(async () => {
      ({ pending } = await requestEmailChange(c.get("services"), session.user, {
        email,
        currentPassword: field(params, "current_password"),
      }));
    });
    if (errors.length)
      return render(c, "Account settings", settingsPage(c, session, { errors }), 422);
    const fresh = (await currentSession(c)) ?? session;
    const text = pending
      ? fresh.user.confirmed_at
        ? `We sent a confirmation link to ${email}. Your email address changes once you follow it.`
        : `Your email address is now ${email}; we sent a confirmation link there.`
      : "The pending email change has been cancelled.";
    return render(c, "Account settings", settingsPage(c, fresh, { notice: text }));
  });

  return app;
}
