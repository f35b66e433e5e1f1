// The server-rendered pages around accounts: the landing page, sign-in and sign-out,
// sign-up and email confirmation. Password and settings pages are in account-pages.ts.
// Plain HTML forms, no JavaScript; every POST checks the browser's CSRF token.
import { Hono } from "hono";
import { html } from "hono/html";
import { checkCredentials } from "../accounts/password-service.ts";
import {
  awaitingConfirmation,
  confirmEmail,
  normalizeEmail,
  registrations,
  resendConfirmationTo,
  signUp,
} from "../accounts/registration-service.ts";
import { readParams } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import { accountPageRoutes } from "./account-pages.ts";
import {
  csrfField,
  field,
  formErrors,
  notice,
  rejectCsrf,
  render,
  safeReturnTo,
  tooManyRequests,
} from "./forms.ts";
import { messages } from "./layout.ts";
import { createSession, currentSession, destroySession } from "./session.ts";
import { throttle } from "./throttle.ts";

const signInLinks = html`<p class="links"><a href="/auth/sign_in">Sign in</a></p>`;

export function authPageRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => {
    const { db, config } = c.get("services");
    const settings = await getInstanceSettings(db, config);
    const session = await currentSession(c);
    const body = session
      ? html`<p>Signed in as <strong>@${session.account.username}</strong>.</p>
${
  awaitingConfirmation(session.user) && !session.user.confirmed_at
    ? html`<p class="error">Your email address is not confirmed yet: follow the link we sent to ${session.user.email}.</p>`
    : ""
}
<p class="links"><a href="/auth/settings">Account settings</a></p>
<form method="post" action="/auth/sign_out">${csrfField(c)}<button class="secondary" type="submit">Sign out</button></form>`
      : html`<p class="links"><a href="/auth/sign_in">Sign in</a>${
          settings.registrations === "closed" ? "" : html` · <a href="/auth/sign_up">Sign up</a>`
        }</p>`;
    return render(
      c,
      settings.title,
      html`<h1>${settings.title}</h1><p>${settings.description}</p>${body}`,
    );
  });

  // --- Sign in / out -----------------------------------------------------------------------

  const signInForm = (
    c: Parameters<typeof csrfField>[0],
    values: { email?: string; returnTo?: string; errors?: string[]; notice?: string },
  ) =>
    html`<h1>Sign in</h1>${messages(values.errors, values.notice)}
<form method="post" action="/auth/sign_in">${csrfField(c)}
<input type="hidden" name="return_to" value="${values.returnTo ?? ""}">
<label for="email">Email address</label>
<input type="email" id="email" name="email" autocomplete="username" required value="${values.email ?? ""}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="links"><a href="/auth/sign_up">Sign up</a> · <a href="/auth/password/new">Forgot your password?</a> · <a href="/auth/confirmation/new">Didn't receive a confirmation link?</a></p>`;

  app.get("/auth/sign_in", async (c) => {
    const returnTo = safeReturnTo(c.req.query("return_to"));
    if (returnTo && (await currentSession(c))) return c.redirect(returnTo, 302);
    return render(c, "Sign in", signInForm(c, { returnTo }));
  });

  app.post("/auth/sign_in", async (c) => {
    const params = await readParams(c);
    const rejected = await rejectCsrf(c, params);
    if (rejected) return rejected;
    const email = field(params, "email");
    const returnTo = safeReturnTo(field(params, "return_to"));
    const limited = await throttle(c, [
      ["loginIp", "ip"],
      ["loginEmail", normalizeEmail(email)],
    ]);
    if (limited.exceeded) return tooManyRequests(c, limited.retryAfter);

    const { db } = c.get("services");
    const result = await checkCredentials(db, email, field(params, "password"));
    if (!result.ok) {
      return render(c, "Sign in", signInForm(c, { email, returnTo, errors: [result.error] }), 422);
    }
    await createSession(c, result.user.id);
    return c.redirect(returnTo ?? "/", 302);
  });

  app.post("/auth/sign_out", async (c) => {
    const params = await readParams(c);
    const rejected = await rejectCsrf(c, params);
    if (rejected) return rejected;
    await destroySession(c);
    return c.redirect("/", 302);
  });

  // --- Sign up -----------------------------------------------------------------------------

  const signUpForm = (
    c: Parameters<typeof csrfField>[0],
    mode: string,
    values: { username?: string; email?: string; reason?: string; errors?: string[] },
  ) =>
    html`<h1>Sign up</h1>${messages(values.errors)}
${mode === "approval" ? html`<p>New accounts on this server are reviewed by its staff before they can be used.</p>` : ""}
<form method="post" action="/auth/sign_up">${csrfField(c)}
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required maxlength="30" pattern="[A-Za-z0-9_]+" value="${values.username ?? ""}">
<label for="email">Email address</label>
<input type="email" id="email" name="email" autocomplete="email" required value="${values.email ?? ""}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="8">
<label for="password_confirmation">Confirm password</label>
<input type="password" id="password_confirmation" name="password_confirmation" autocomplete="new-password" required>
${
  mode === "approval"
    ? html`<label for="reason">Why do you want to join?</label>
<input type="text" id="reason" name="reason" maxlength="420" value="${values.reason ?? ""}">`
    : ""
}
<label><input type="checkbox" name="agreement" value="1" required> I agree to the server rules and terms of service</label>
<button type="submit">Sign up</button>
</form>
<p class="links"><a href="/auth/sign_in">Already have an account? Sign in</a></p>`;

  const closedPage = (c: Parameters<typeof csrfField>[0], message: string | null) =>
    notice(
      c,
      "Registrations are closed",
      { errors: [message ?? "This server is not accepting new accounts at the moment."] },
      signInLinks,
      403,
    );

  app.get("/auth/sign_up", async (c) => {
    const { mode, message } = await registrations(c.get("services"));
    if (mode === "closed") return closedPage(c, message);
    return render(c, "Sign up", signUpForm(c, mode, {}));
  });

  app.post("/auth/sign_up", async (c) => {
    const params = await readParams(c);
    const rejected = await rejectCsrf(c, params);
    if (rejected) return rejected;
    const limited = await throttle(c, [["authIp", "ip"]]);
    if (limited.exceeded) return tooManyRequests(c, limited.retryAfter);
    const services = c.get("services");
    const { mode, message } = await registrations(services);
    if (mode === "closed") return closedPage(c, message);

    const values = {
      username: field(params, "username"),
      email: field(params, "email"),
      reason: field(params, "reason"),
    };
    const password = field(params, "password");
    // Only the web form asks twice; check before anything is created.
    if (
      params.password_confirmation !== undefined &&
      field(params, "password_confirmation") !== password
    ) {
      const errors = ["Password confirmation doesn't match Password"];
      return render(c, "Sign up", signUpForm(c, mode, { ...values, errors }), 422);
    }
    let approved = false;
    const errors = await formErrors(async () => {
      ({ approved } = await signUp(services, {
        ...values,
        password,
        agreement:
          params.agreement ?? (params.user as { agreement?: unknown } | undefined)?.agreement,
        locale: field(params, "locale") || undefined,
        ip: c.get("clientIp"),
      }));
    }).catch((e: unknown) => {
      // Registrations closed between showing the form and submitting it.
      if (e instanceof ApiError && e.status === 403) return null;
      throw e;
    });
    if (errors === null) return closedPage(c, message);
    if (errors.length) return render(c, "Sign up", signUpForm(c, mode, { ...values, errors }), 422);
    return notice(
      c,
      "Check your inbox",
      {
        notice: `We sent a confirmation link to ${normalizeEmail(values.email)}. Follow it to activate your account.${
          approved ? "" : " Your account will also need to be approved by the server's staff."
        }`,
      },
      signInLinks,
    );
  });

  // --- Email confirmation --------------------------------------------------------------------

  app.get("/auth/confirmation", async (c) => {
    const token = c.req.query("confirmation_token") ?? "";
    const result = await confirmEmail(c.get("services").db, token);
    if (!result.ok) {
      const error =
        result.reason === "taken"
          ? "This email address is already used by another account."
          : "This confirmation link is invalid or has expired. You can ask for a new one.";
      return notice(
        c,
        "Email not confirmed",
        { errors: [error] },
        html`<p class="links"><a href="/auth/confirmation/new">Send a new confirmation link</a></p>`,
        result.reason === "taken" ? 422 : 404,
      );
    }
    return notice(
      c,
      "Email confirmed",
      {
        notice: result.changedEmail
          ? `Your email address is now ${result.user.email}.`
          : "Your email address has been confirmed.",
      },
      html`<p class="links"><a href="/">Continue</a></p>`,
    );
  });

  const resendForm = (c: Parameters<typeof csrfField>[0], text: { notice?: string } = {}) =>
    html`<h1>Resend confirmation link</h1>${messages([], text.notice)}
<form method="post" action="/auth/confirmation">${csrfField(c)}
<label for="email">Email address</label>
<input type="email" id="email" name="email" autocomplete="email" required>
<button type="submit">Resend</button>
</form>${signInLinks}`;

  app.get("/auth/confirmation/new", (c) => render(c, "Resend confirmation link", resendForm(c)));

  app.post("/auth/confirmation", async (c) => {
    const params = await readParams(c);
    const rejected = await rejectCsrf(c, params);
    if (rejected) return rejected;
    const limited = await throttle(c, [["confirmIp", "ip"]]);
    if (limited.exceeded) return tooManyRequests(c, limited.retryAfter);
    await resendConfirmationTo(c.get("services"), field(params, "email"));
    // The same answer whether or not the address is registered.
    return render(
      c,
      "Resend confirmation link",
      resendForm(c, {
        notice:
          "If your email address is registered and awaits confirmation, a new link is on its way.",
      }),
    );
  });

  app.route("/", accountPageRoutes());
  return app;
}
