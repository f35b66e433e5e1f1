import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config.ts";
import { runRoost } from "./helpers/process.ts";

describe("parseConfig", () => {
  it("has the documented defaults", () => {
    const config = parseConfig({});
    expect(config.publicUrl).toBe("http://localhost:3000");
    expect(config.domain).toBe("localhost:3000");
    expect(config.port).toBe(3000);
    expect(config.host).toBe("0.0.0.0");
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.role).toBe("all");
    expect(config.trustProxy).toBe(false);
    expect(config.allowPrivateAddress).toBe(false);
    expect(config.logLevel).toBe("info");
    expect(config.instance.registrations).toBe("open");
    expect(config.instance.maxStatusChars).toBe(500);
  });

  it("derives the handle domain from PUBLIC_URL and drops its path", () => {
    const config = parseConfig({ PUBLIC_URL: "https://social.example/some/path" });
    expect(config.publicUrl).toBe("https://social.example");
    expect(config.domain).toBe("social.example");
  });

  it("treats empty strings as unset", () => {
    expect(parseConfig({ DATABASE_URL: "", PORT: "" }).port).toBe(3000);
  });

  it("parses booleans and numbers", () => {
    const config = parseConfig({ TRUST_PROXY: "true", PORT: "8080", MAX_STATUS_CHARS: "1000" });
    expect(config.trustProxy).toBe(true);
    expect(config.port).toBe(8080);
    expect(config.instance.maxStatusChars).toBe(1000);
  });

  it.each([
    [{ PORT: "abc" }, /^Invalid configuration: PORT /],
    [{ PORT: "70000" }, /^Invalid configuration: PORT /],
    [{ PUBLIC_URL: "not a url" }, /^Invalid configuration: PUBLIC_URL /],
    [{ DATABASE_URL: "mysql://x" }, /^Invalid configuration: DATABASE_URL /],
    [{ REDIS_URL: "http://x" }, /^Invalid configuration: REDIS_URL /],
    [{ NODE_ROLE: "both" }, /^Invalid configuration: NODE_ROLE /],
    [{ NODE_ROLE: "web" }, /^Invalid configuration: NODE_ROLE=web needs DATABASE_URL/],
    [{ TRUST_PROXY: "maybe" }, /^Invalid configuration: TRUST_PROXY /],
    [{ SECRET_KEY: "short" }, /^Invalid configuration: SECRET_KEY /],
    [{ LOG_LEVEL: "loud" }, /^Invalid configuration: LOG_LEVEL /],
    [{ REGISTRATIONS: "sometimes" }, /^Invalid configuration: REGISTRATIONS /],
  ])("rejects %o with one line naming the variable", (env, pattern) => {
    let error: unknown;
    try {
      parseConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toContain("\n");
  });

  it("allows split roles with PostgreSQL", () => {
    const config = parseConfig({ NODE_ROLE: "worker", DATABASE_URL: "postgres://u@h/db" });
    expect(config.role).toBe("worker");
  });
});

describe("start-up with bad configuration", () => {
  it("exits non-zero with one clear line and no stack trace", async () => {
    const roost = runRoost({ PORT: "not-a-port", DATA_DIR: "/tmp/roost-never-used" });
    const code = await roost.exited;
    expect(code).not.toBe(0);
    const lines = roost.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: PORT/);
    expect(roost.output()).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
