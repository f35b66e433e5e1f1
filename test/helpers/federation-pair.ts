// Two live Roost processes that know each other only by name, as real servers do: each
// behind its own TLS terminator (test/helpers/tls.ts) at https://<label>-<run>.roost.test,
// with a throwaway CA the children trust. The test talks to each child's plain HTTP port;
// the instances talk to each other through https and WebFinger.
import { accountKeyPairs } from "../../federation/keys.ts";
import { parseConfig } from "../../src/config.ts";
import type { Role } from "../../src/infra/db/schema.ts";
import { createServices } from "../../src/services.ts";
import { createUserWithToken } from "./auth.ts";
import { createTestBackend, type TestBackend } from "./backend.ts";
import { freePort, type RoostProcess, startRoost } from "./process.ts";
import { sleep } from "./queue-backends.ts";
import {
  allocateHosts,
  createTestCa,
  issueCert,
  startTlsTerminator,
  type TlsHost,
  type TlsTerminator,
} from "./tls.ts";

const SECRET_KEY = "test-secret-key-test-secret-key-0123456789";

export interface PairUser {
  username: string;
  id: string;
  token: string;
  /** The account's RSA key (made before start), to sign requests by hand. */
  rsaKey: CryptoKey;
}

export interface PairInstance {
  host: TlsHost;
  backend: TestBackend;
  port: number;
  users: Record<string, PairUser>;
  roost?: RoostProcess;
  tls?: TlsTerminator;
}

export interface UserSpec {
  username: string;
  locked?: boolean;
  /** A staff role (moderation tests); its token then also gets the admin scopes. */
  role?: Role;
}

async function prepare(host: TlsHost, specs: UserSpec[]): Promise<PairInstance> {
  const backend = await createTestBackend();
  const port = await freePort();
  // Users are created before the process starts: the embedded database has one owner.
  const config = parseConfig({
    SECRET_KEY,
    PUBLIC_URL: host.publicUrl,
    LOG_LEVEL: "warning",
    ...backend.env,
  });
  const services = await createServices(config);
  const users: Record<string, PairUser> = {};
  try {
    for (const spec of specs) {
      const { account, user, token } = await createUserWithToken(
        { services, config },
        {
          username: spec.username,
          scopes: spec.role ? ["read", "write", "follow", "admin:read", "admin:write"] : undefined,
        },
      );
      if (spec.role) {
        await services.db
          .updateTable("users")
          .set({ role: spec.role })
          .where("id", "=", user.id)
          .execute();
      }
      if (spec.locked) {
        await services.db
          .updateTable("accounts")
          .set({ locked: true })
          .where("id", "=", account.id)
          .execute();
      }
      // Generated here rather than lazily, so the test can sign as this account.
      const [rsa] = await accountKeyPairs(services.db, account.id);
      if (!rsa) throw new Error(`No key for ${spec.username}`);
      users[spec.username] = {
        username: spec.username,
        id: account.id,
        token,
        rsaKey: rsa.privateKey,
      };
    }
  } finally {
    await services.close();
  }
  return { host, backend, port, users };
}

export interface FederationPair {
  /** The instances, once `start` has resolved. */
  readonly a: PairInstance;
  readonly b: PairInstance;
  /** The throwaway CA's PEM file (for httpsRequest in tls.ts). */
  readonly caFile: string;
  /** Starts both instances with the given users (created on disk before start). */
  start(usersA: UserSpec[], usersB: UserSpec[]): Promise<void>;
  /** Stops whatever has started, also after a failed or timed-out `start`. */
  stop(): Promise<void>;
  /** Both children's output, for failure messages. */
  logs(): string;
}

/** Made before `start` so a hook that times out can still `stop` what it began. */
export function federationPair(): FederationPair {
  const ca = createTestCa();
  const names = allocateHosts(["a", "b"]);
  const [hostA, hostB] = names.hosts as [TlsHost, TlsHost];
  const instances: PairInstance[] = [];
  const started = (index: number) => {
    const instance = instances[index];
    if (!instance?.roost) throw new Error("The federation pair has not started");
    return instance;
  };
  const launch = async (i: PairInstance) => {
    for (let attempt = 1; ; attempt++) {
      i.tls = await startTlsTerminator(i.host, issueCert(ca, i.host.authority), i.port);
      try {
        i.roost = await startRoost({
          ...i.backend.env,
          SECRET_KEY,
          PORT: String(i.port),
          PUBLIC_URL: i.host.publicUrl,
          TRUST_PROXY: "true",
          FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
          NODE_EXTRA_CA_CERTS: ca.caFile,
        });
        return;
      } catch (error) {
        // The port picked in prepare() may have been taken since, e.g. as the local port of
        // some outgoing connection: pick another and point the terminator at it.
        if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
        await i.tls.close();
        i.port = await freePort();
      }
    }
  };
  return {
    get a() {
      return started(0);
    },
    get b() {
      return started(1);
    },
    caFile: ca.caFile,
    async start(usersA, usersB) {
      // One at a time, each pushed as soon as it exists, so `stop` finds all of it.
      for (const [host, users] of [
        [hostA, usersA],
        [hostB, usersB],
      ] as const) {
        instances.push(await prepare(host, users));
      }
      await Promise.all(instances.map(launch));
    },
    async stop() {
      await Promise.all(instances.map((i) => i.tls?.close()));
      await Promise.all(instances.map((i) => i.roost?.stop()));
      await Promise.all(instances.map((i) => i.backend.cleanup()));
      names.release();
      ca.cleanup();
    },
    logs: () =>
      instances.map((i) => `--- ${i.host.authority} ---\n${i.roost?.output() ?? ""}`).join("\n"),
  };
}

export interface ApiResult<T> {
  status: number;
  body: T;
}

/** A Mastodon API call as `user` on `instance` (over the child's plain HTTP port). */
export async function api<T = Record<string, unknown>>(
  instance: PairInstance,
  user: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<ApiResult<T>> {
  const token = instance.users[user]?.token;
  if (!token) throw new Error(`No user ${user} on ${instance.host.authority}`);
  // A FormData body goes as multipart (uploads); anything else as JSON.
  const form = init.body instanceof FormData ? init.body : null;
  const res = await fetch(`http://127.0.0.1:${instance.port}${path}`, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body && !form ? { "content-type": "application/json" } : {}),
    },
    body: form ?? (init.body ? JSON.stringify(init.body) : undefined),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T };
}

/**
 * Polls `check` every 100 ms until it returns something other than undefined/false; fails
 * after `timeoutMs` with `what` and the tail of the children's logs.
 */
export async function eventually<T>(
  pair: FederationPair,
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await sleep(100);
  }
  throw new Error(`Timed out (${timeoutMs} ms): ${what}\n${pair.logs().slice(-6000)}`);
}
