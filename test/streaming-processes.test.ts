// Streaming across processes (service mode only): two web processes and a worker sharing
// PostgreSQL and Redis. An event made by the worker for a post made through one web process
// reaches clients connected to the other, through Redis pub/sub.
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.ts";
import { createServices } from "../src/services.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import {
  createTestBackend,
  SERVICE_DATABASE_URL,
  SERVICE_REDIS_URL,
  type TestBackend,
} from "./helpers/backend.ts";
import { type RoostProcess, startRoost } from "./helpers/process.ts";
import { openWebSocket, parsed, type RawClient } from "./helpers/streaming.ts";

const running: RoostProcess[] = [];
const clients: RawClient[] = [];
let backend: TestBackend | undefined;

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(running.splice(0).map((r) => r.stop("SIGKILL")));
  await backend?.cleanup();
});

describe.skipIf(!SERVICE_DATABASE_URL || !SERVICE_REDIS_URL)("streaming across processes", () => {
  it("an event made in one process reaches a client connected to another", async () => {
    backend = await createTestBackend();
    const env = { ...backend.env, SECRET_KEY: "test-secret-key-test-secret-key-0123456789" };
    // Users are made directly in the shared database before the servers start.
    const services = await createServices(parseConfig({ LOG_LEVEL: "error", ...env }));
    const config = services.config;
    const author = await createUserWithToken({ services, config }, { username: "xauthor" });
    const reader = await createUserWithToken({ services, config }, { username: "xreader" });
    await services.close();

    const start = async (role: string) => {
      const p = await startRoost({ LOG_LEVEL: "info", ...env, NODE_ROLE: role });
      running.push(p);
      return p;
    };
    const [web1, web2] = await Promise.all([start("web"), start("web")]);
    await start("worker");

    const post = async (web: RoostProcess, token: string, path: string, body?: object) => {
      const res = await fetch(`${web.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(res.status).toBe(200);
      return await res.json();
    };
    await post(web1, reader.token, `/api/v1/accounts/${author.account.id}/follow`);

    const home = await openWebSocket(web2.url, reader.token, { stream: "user" });
    const pub = await openWebSocket(web1.url, reader.token, { stream: "public:local" });
    clients.push(home, pub);

    // Posted through web1, fanned out by the worker, heard on web2.
    const first = await post(web1, author.token, "/api/v1/statuses", { status: "from web1" });
    const e = await home.log.wait((x) => x.event === "update" && parsed(x).id === first.id);
    expect(parsed(e).account.id).toBe(author.account.id);

    // And the other way round, on a public stream.
    const second = await post(web2, author.token, "/api/v1/statuses", { status: "from web2" });
    await pub.log.wait((x) => x.event === "update" && parsed(x).id === second.id);

    // A notification made by the worker reaches the author connected to web2.
    const notes = await openWebSocket(web2.url, author.token, { stream: "user:notification" });
    clients.push(notes);
    await post(web1, reader.token, `/api/v1/statuses/${first.id}/favourite`);
    const n = await notes.log.wait((x) => x.event === "notification");
    expect(parsed(n)).toMatchObject({ type: "favourite", status: { id: first.id } });
  }, 120_000);
});
