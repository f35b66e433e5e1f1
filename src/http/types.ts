import type { AuthInfo } from "../auth/middleware.ts";
import type { Services } from "../services.ts";

/** Hono environment shared by every route. */
export interface AppEnv {
  Variables: {
    services: Services;
    /** The client's address: the socket peer, or X-Forwarded-For's first hop under TRUST_PROXY. */
    clientIp: string;
    /** Set by `authenticate()` when the request carried a valid access token. */
    auth: AuthInfo | undefined;
    /** A bearer token was sent but is unknown or revoked (answered 401 after rate limiting). */
    authInvalid: boolean | undefined;
  };
}
