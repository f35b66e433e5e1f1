// Streaming clients for tests and the benchmark: a raw WebSocket that collects events, an SSE
// reader over fetch, and a Roost app served with its WebSocket endpoint attached.
import WebSocket from "ws";
import { attachStreaming, type StreamingServer } from "../../src/streaming/websocket.ts";
import { serveApp } from "./serve.ts";
import type { TestContext } from "./services.ts";

export interface StreamEventMessage {
  stream: string[];
  event: string;
  payload: string;
}

/** Events received so far, and a way to wait for the next one that matches. */
export class EventLog {
  readonly events: StreamEventMessage[] = [];
  readonly #waiters: {
    test: (e: StreamEventMessage) => boolean;
    resolve: (e: StreamEventMessage) => void;
  }[] = [];

  push(event: StreamEventMessage): void {
    this.events.push(event);
    for (const w of [...this.#waiters]) {
      if (w.test(event)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  }

  /** The first event (already received or still to come) that matches. */
  async wait(
    test: (e: StreamEventMessage) => boolean,
    timeoutMs = 10_000,
  ): Promise<StreamEventMessage> {
    const seen = this.events.find(test);
    if (seen) return seen;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("No matching streaming event")), timeoutMs);
      this.#waiters.push({
        test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  has(test: (e: StreamEventMessage) => boolean): boolean {
    return this.events.some(test);
  }
}

export interface RawClient {
  ws: WebSocket;
  log: EventLog;
  errors: unknown[];
  send(message: object): void;
  close(): void;
}

/** Opens a WebSocket to /api/v1/streaming with the token passed as `via` says. */
export async function openWebSocket(
  baseUrl: string,
  token: string,
  options: { via?: "header" | "protocol" | "query"; stream?: string; tag?: string } = {},
): Promise<RawClient> {
  const via = options.via ?? "protocol";
  const url = new URL("/api/v1/streaming", baseUrl.replace(/^http/, "ws"));
  if (options.stream) url.searchParams.set("stream", options.stream);
  if (options.tag) url.searchParams.set("tag", options.tag);
  if (via === "query") url.searchParams.set("access_token", token);
  const ws =
    via === "protocol"
      ? new WebSocket(url, token)
      : new WebSocket(
          url,
          via === "header" ? { headers: { authorization: `Bearer ${token}` } } : {},
        );
  const log = new EventLog();
  const errors: unknown[] = [];
  ws.on("message", (data) => {
    const message = JSON.parse(String(data));
    if ("error" in message) errors.push(message);
    else log.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    log,
    errors,
    send: (message) => ws.send(JSON.stringify(message)),
    close: () => ws.close(),
  };
}

/** Reads server-sent events from fetch's body into an EventLog. */
export async function openSse(
  baseUrl: string,
  path: string,
  token: string,
): Promise<{ log: EventLog; response: Response; raw: () => string; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(new URL(path, baseUrl), {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const log = new EventLog();
  let text = "";
  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += value;
          buffer += value;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = block.match(/^event: (.*)$/m)?.[1];
            const data = block.match(/^data: (.*)$/m)?.[1];
            if (event && data !== undefined) log.push({ stream: [], event, payload: data });
            end = buffer.indexOf("\n\n");
          }
        }
      } catch {
        // Aborted.
      }
    })();
  }
  return { log, response, raw: () => text, close: () => controller.abort() };
}

/** Serves the app on 127.0.0.1 with the WebSocket endpoint, as src/server.ts does. */
export async function serveWithStreaming(
  ctx: TestContext,
): Promise<{ url: string; close(): Promise<void> }> {
  const served = await serveApp(ctx.app.fetch);
  const streaming: StreamingServer = attachStreaming(served.server, ctx.services);
  return {
    url: served.url,
    async close() {
      await streaming.close();
      await served.close();
    },
  };
}

/** `payload` of an update/notification event, parsed. */
// biome-ignore lint/suspicious/noExplicitAny: test payloads are checked field by field
export function parsed(e: StreamEventMessage): any {
  return JSON.parse(e.payload);
}
