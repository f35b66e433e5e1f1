// `accounts delete` tells other servers: the CLI (run in-process against the same backend
// while no server runs) queues a Delete of the actor, and the worker of the next server
// process delivers it, signed with the deleted account's key, to the servers of remote
// accounts we know. The receiving host verifies the HTTP signature as a real server would.
import { verifyRequest } from "@fedify/fedify";
import { preloadedContexts } from "@fedify/vocab-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupRemote } from "../federation/lookup.ts";
import { createApp } from "../src/app.ts";
import { accountsCommand } from "../src/cli/commands/accounts.ts";
import { type Config, parseConfig } from "../src/config.ts";
import { newId } from "../src/infra/ids.ts";
import { insertFollow } from "../src/relationships/follow-service.ts";
import { createServices, type Services } from "../src/services.ts";
import { startWorkers, type Workers } from "../workers/index.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestBackend, type TestBackend } from "./helpers/backend.ts";
import { until } from "./helpers/queue-backends.ts";
import { type RemoteHosts, startRemoteHosts } from "./helpers/remote-actors.ts";

const ORIGIN = "https://testing.local";

let backend: TestBackend;
let config: Config;
let hosts: RemoteHosts;
let services: Services | undefined;
let workers: Workers | undefined;

beforeAll(async () => {
  hosts = await startRemoteHosts(2);
  backend = await createTestBackend();
  config = parseConfig({
    SECRET_KEY: "test-secret-key-test-secret-key-0123456789",
    LOG_LEVEL: "warning",
    PUBLIC_URL: ORIGIN,
    FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    ...backend.env,
  });
}, 90_000);
afterAll(async () => {
  await workers?.stop();
  await services?.close();
  await hosts?.close();
  await backend?.cleanup();
});

/** Whether a received POST carries a valid signature by the key in `actorDoc`. */
async function signedBy(
  received: RemoteHosts["received"][number],
  actorDoc: Record<string, unknown>,
): Promise<boolean> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(received.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const request = new Request(received.url, {
    method: received.method,
    headers,
    body: received.body,
  });
  const actorId = actorDoc.id as string;
  const key = await verifyRequest(request, {
    // The key as it was published before the account went: served from memory.
    documentLoader: async (url) => {
      if (!url.startsWith(actorId)) throw new Error(`Not found: ${url}`);
      return { contextUrl: null, documentUrl: actorId, document: actorDoc };
    },
    contextLoader: async (url) => ({
      contextUrl: null,
      documentUrl: url,
      document: preloadedContexts[url] ?? { "@context": {} },
    }),
  });
  return key?.ownerId?.href === actorId;
}

describe("accounts delete", () => {
  it("queues a signed Delete of the actor that the next worker delivers", async () => {
    // Before: a local user with a remote follower, and its published actor (and key).
    const first = await createServices(config);
    const gone = await createUserWithToken({ services: first, config }, { username: "gone" });
    const res = await createApp(first).request(`${ORIGIN}/users/gone`, {
      headers: { accept: "application/activity+json" },
    });
    const actorDoc = (await res.json()) as Record<string, unknown>;
    expect(actorDoc.publicKey).toBeDefined();
    const follower = await hosts.actor(hosts.origins[0]!, "follower");
    const bystander = await hosts.actor(hosts.origins[1]!, "bystander");
    const followerAccount = (await lookupRemote(first, follower.id))?.account;
    await lookupRemote(first, bystander.id);
    const id = newId();
    await insertFollow(first.db, {
      id,
      account_id: followerAccount!.id,
      target_account_id: gone.account.id,
      uri: `${follower.id}#follows/${id}`,
      show_reblogs: true,
      notify: false,
      languages: null,
    });
    await first.close();

    // The CLI, as an admin runs it with the server stopped.
    const printed: string[] = [];
    await accountsCommand(["delete", "gone"], {
      config,
      database: () => Promise.reject(new Error("delete opens its own services")),
      print: (line) => printed.push(line),
    });
    expect(printed).toEqual(["OK"]);

    // The server starts again: its worker sends what the CLI queued.
    services = await createServices(config);
    workers = startWorkers(services);
    const deletes = () =>
      hosts.received.filter((r) => {
        if (r.method !== "POST") return false;
        const body = JSON.parse(r.body) as Record<string, unknown>;
        return body.type === "Delete" && body.object === actorDoc.id && body.actor === actorDoc.id;
      });
    // Both known servers hear it: the follower's and the one that merely met us.
    await until(
      () => hosts.origins.every((o) => deletes().some((r) => r.url.startsWith(o))),
      30_000,
    );
    for (const r of deletes()) expect(await signedBy(r, actorDoc)).toBe(true);
    // The check is real: a body changed after signing does not verify.
    const tampered = { ...deletes()[0]!, body: deletes()[0]!.body.replace("Delete", "Update") };
    expect(await signedBy(tampered, actorDoc)).toBe(false);

    const row = await services.db
      .selectFrom("accounts")
      .select("id")
      .where("username", "=", "gone")
      .where("domain", "is", null)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  }, 120_000);
});
