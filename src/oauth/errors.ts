// OAuth errors as RFC 6749 names them and Doorkeeper (Mastodon's OAuth server) words them.
// Clients match on `error`; some show `error_description`, so the texts are Mastodon's.

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_redirect_uri"
  | "access_denied";

const DESCRIPTIONS: Record<OAuthErrorCode, string> = {
  invalid_request:
    "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.",
  invalid_client:
    "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
  invalid_grant:
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
  unauthorized_client: "The client is not authorized to perform this request using this method.",
  unsupported_grant_type:
    "The authorization grant type is not supported by the authorization server.",
  unsupported_response_type: "The authorization server does not support this response type.",
  invalid_scope: "The requested scope is invalid, unknown, or malformed.",
  invalid_redirect_uri:
    "The requested redirect uri is malformed or doesn't match client redirect URI.",
  access_denied: "The resource owner or authorization server denied the request.",
};

export class OAuthError extends Error {
  override name = "OAuthError";
  readonly code: OAuthErrorCode;
  readonly description: string;
  /** 401 only for failed client authentication (RFC 6749 §5.2); 403 for revoking another's token. */
  readonly status: 400 | 401 | 403;

  constructor(code: OAuthErrorCode, description?: string, status?: 400 | 401 | 403) {
    const text = description ?? DESCRIPTIONS[code];
    super(`${code}: ${text}`);
    this.code = code;
    this.description = text;
    this.status = status ?? (code === "invalid_client" ? 401 : 400);
  }

  get body(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }

  static missing(param: string): OAuthError {
    return new OAuthError("invalid_request", `Missing required parameter: ${param}.`);
  }
}
