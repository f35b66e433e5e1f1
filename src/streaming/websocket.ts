// The WebSocket endpoint, /api/v1/streaming, attached to the Node HTTP server's `upgrade`
// event (Hono never sees upgrades). The token comes from the Authorization header, the
// Sec-WebSocket-Protocol header or `access_token`; when it came as the protocol, the 101
// answer names that protocol again, since browsers (Chrome) drop a connection whose answer
// omits the protocol they offered.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { findToken } from "../auth/middleware.ts";
import { log } from "../infra/logging.ts";
import type { Services } from "../services.ts";
import { getHub, StreamError, type StreamRequest } from "./hub.ts";

const logger = log("streaming");

const PATH = "/api/v1/streaming";
/** Pings keep proxies from closing idle connections and find dead peers. */
const PING_INTERVAL_MS = 30_000;

export interface StreamingServer {
  /** Closes every streaming connection (WebSocket and server-sent events). */
  close(): Promise<void>;
}

function tokenOf(req: IncomingMessage, url: URL): { token?: string; protocol?: string } {
  const header = req.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (header) return { token: header };
  const protocol = req.headers["sec-websocket-protocol"]?.split(",")[0]?.trim();
  if (protocol) return { token: protocol, protocol };
  return { token: url.searchParams.get("access_token") || undefined };
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Bad Request"}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

/**
 * The text frame of one event. The hub writes one payload to many connections in a row,
 * so the last frame is kept: a post to 1,000 followers is encoded once, not 1,000 times.
 * `filters_changed` has no payload, as on Mastodon.
 */
let lastFrame: { label: string[]; event: string; payload: string; frame: Buffer } | undefined;
function frameOf(label: string[], event: string, payload: string): Buffer {
  const last = lastFrame;
  if (
    last &&
    last.payload === payload &&
    last.event === event &&
    last.label.length === label.length &&
    last.label.every((part, i) => part === label[i])
  ) {
    return last.frame;
  }
  const message = payload === "" ? { stream: label, event } : { stream: label, event, payload };
  const frame = Buffer.from(JSON.stringify(message));
  lastFrame = { label, event, payload, frame };
  return frame;
}

/** Handles WebSocket upgrades to the streaming API on `server`. */
export function attachStreaming(server: Server, services: Services): StreamingServer {
  const hub = getHub(services);
  // The protocol to echo is decided per request, before the handshake is answered.
  const echoed = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (_protocols, req) => echoed.get(req) ?? false,
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== PATH && url.pathname !== `${PATH}/`) {
      refuse(socket, 400, "Unknown endpoint");
      return;
    }
    socket.on("error", () => {});
    void accept(req, socket, head, url).catch((error) => {
      logger.error("Streaming upgrade failed: {error}", { error });
      socket.destroy();
    });
  };

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => {
    const { token, protocol } = tokenOf(req, url);
    const auth = token ? await findToken(services.db, token) : undefined;
    if (!auth?.account || auth.account.suspended_at || auth.user?.disabled) {
      refuse(socket, 401, "Error: Invalid access token");
      return;
    }
    if (protocol) echoed.set(req, protocol);
    // Subscribe to the `stream` asked for on connect before answering, so that once the
    // client sees the connection open, events for it already flow.
    const pending: { label: string[]; event: string; payload: string }[] = [];
    let ws: WebSocket | undefined;
    const connection = hub.open(
      auth,
      (stream, event, payload) => {
        if (!ws) {
          pending.push({ label: stream, event, payload });
          return;
        }
        if (ws.readyState === WebSocket.OPEN)
          ws.send(frameOf(stream, event, payload), { binary: false });
      },
      (reason) => {
        if (!ws || ws.readyState > WebSocket.OPEN) return;
        if (reason === "revoked") ws.close(1008, "Access token revoked");
        else ws.close(1001, "Server shutting down");
      },
    );
    const initial = url.searchParams.get("stream");
    if (initial) {
      try {
        await connection.subscribe({
          stream: initial,
          tag: url.searchParams.get("tag"),
          list: url.searchParams.get("list"),
        });
      } catch (error) {
        await connection.close();
        if (error instanceof StreamError) refuse(socket, error.status, error.message);
        else throw error;
        return;
      }
    }
    wss.handleUpgrade(req, socket, head, (client) => {
      ws = client;
      // Revoked (or shut down) while the handshake was being answered.
      if (connection.closed) {
        client.close(1008, "Access token revoked");
        return;
      }
      for (const p of pending.splice(0)) {
        client.send(frameOf(p.label, p.event, p.payload), { binary: false });
      }
      let alive = true;
      client.on("pong", () => {
        alive = true;
      });
      const ping = setInterval(() => {
        if (!alive) {
          client.terminate();
          return;
        }
        alive = false;
        client.ping();
      }, PING_INTERVAL_MS);
      ping.unref();
      client.on("message", (data) => {
        onMessage(String(data)).catch((error) => {
          logger.error("Streaming message failed: {error}", { error });
        });
      });
      client.on("close", () => {
        clearInterval(ping);
        void connection.close();
      });
      client.on("error", () => client.terminate());

      const onMessage = async (text: string) => {
        let request: StreamRequest & { type?: string };
        try {
          request = JSON.parse(text);
        } catch {
          client.send(JSON.stringify({ error: "Invalid JSON" }));
          return;
        }
        try {
          if (request.type === "subscribe") await connection.subscribe(request);
          else if (request.type === "unsubscribe") await connection.unsubscribe(request);
          else throw new StreamError(400, "Unknown message type");
        } catch (error) {
          if (!(error instanceof StreamError)) throw error;
          if (client.readyState === WebSocket.OPEN) {
            client.send(JSON.stringify({ error: error.message, status: error.status }));
          }
        }
      };
    });
  };

  server.on("upgrade", onUpgrade);
  return {
    async close() {
      server.off("upgrade", onUpgrade);
      await hub.closeAll();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
