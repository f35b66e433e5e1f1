// Serves a Roost app on 127.0.0.1 for tests that talk HTTP to it (masto, fetch, WebSocket).
// Keep-alive outlasts the client's: with Node's 5 s default, a busy machine lets fetch reuse
// a socket in the instant the server closes it, and the request fails with ECONNRESET.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export const TEST_KEEP_ALIVE_MS = 65_000;

export interface ServedApp {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function serveApp(
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<ServedApp> {
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  server.keepAliveTimeout = TEST_KEEP_ALIVE_MS;
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
