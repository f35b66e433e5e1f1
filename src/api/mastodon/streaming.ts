// Server-sent events versions of the streaming API (/api/v1/streaming/user, /public, ...)
// and its health check. The WebSocket endpoint is not a Hono route: see
// src/streaming/websocket.ts, attached to the Node server in src/server.ts.
import { Hono } from "hono";
import { checkAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { getHub, StreamError } from "../../streaming/hub.ts";

/** Heartbeat comments keep proxies and clients from timing out an idle stream. */
const HEARTBEAT_MS = 15_000;

/** Path under /api/v1/streaming to the stream it serves; `only_media` picks the :media ones. */
const STREAMS: Record<string, (media: boolean) => string> = {
  user: () => "user",
  "user/notification": () => "user:notification",
  public: (m) => (m ? "public:media" : "public"),
  "public/local": (m) => (m ? "public:local:media" : "public:local"),
  "public/remote": (m) => (m ? "public:remote:media" : "public:remote"),
  hashtag: () => "hashtag",
  "hashtag/local": () => "hashtag:local",
  list: () => "list",
  direct: () => "direct",
};

export function streamingRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/streaming/health", (c) => c.text("OK"));

  app.get("/v1/streaming/:path{.+}", async (c) => {
    const path = c.req.param("path").replace(/\/$/, "");
    const choose = STREAMS[path];
    if (!choose) throw ApiError.notFound("Unknown stream type");
    const auth = c.get("auth");
    checkAuth(auth, ["read", "read:statuses", "read:notifications"]);
    const media = ["1", "true"].includes(c.req.query("only_media") ?? "");
    const hub = getHub(c.get("services"));
    const encoder = new TextEncoder();
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const write = (text: string) => {
      try {
        controller?.enqueue(encoder.encode(text));
      } catch {
        // The client went away between the event and the write.
      }
    };
    const connection = hub.open(
      auth,
      (_stream, event, payload) => write(`event: ${event}\ndata: ${payload}\n\n`),
      () => {
        clearInterval(heartbeat);
        try {
          controller?.close();
        } catch {
          // Already closed by the client.
        }
      },
    );
    try {
      await connection.subscribe({
        stream: choose(media),
        tag: c.req.query("tag"),
        list: c.req.query("list"),
      });
    } catch (error) {
      await connection.close();
      if (error instanceof StreamError) throw new ApiError(error.status, error.message);
      throw error;
    }
    const body = new ReadableStream<Uint8Array>({
      start(ctrl) {
        controller = ctrl;
        // A first comment at once, so clients (and tests) see the stream is open.
        write(":)\n");
        heartbeat = setInterval(() => write(":thump\n"), HEARTBEAT_MS);
        heartbeat.unref();
      },
      cancel() {
        void connection.close();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "private, no-store",
        "x-accel-buffering": "no",
      },
    });
  });

  return app;
}
