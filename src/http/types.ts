import type { Services } from "../services.ts";

/** Hono environment shared by every route. */
export interface AppEnv {
  Variables: {
    services: Services;
    /** The client's address: the socket peer, or X-Forwarded-For's first hop under TRUST_PROXY. */
    clientIp: string;
  };
}
