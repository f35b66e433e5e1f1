// TLS for live federation tests. Fedify's WebFinger lookups of `acct:` handles always use
// https, so two Roost processes can find each other by handle only behind TLS: a throwaway
// CA (openssl, made per run), a certificate per instance, a terminator in the test process
// (node:https proxying to the child's plain HTTP port) and NODE_EXTRA_CA_CERTS for the
// children. Names are hostnames in /etc/hosts (writable as root, as in CI), mapped to
// random 127/8 addresses so parallel runs don't collide. IP literals with a port would spare
// /etc/hosts, but Mastodon's mention syntax (and ours) has no port, so `@alice@host` in a
// post could not name them.
import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, request as httpsRequestRaw, type Server } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";

const HOSTS_FILE = "/etc/hosts";
const MARKER = "# roost-test-tls";

export interface TestCa {
  dir: string;
  /** PEM file to hand to children as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  cleanup(): void;
}

export interface ServerCert {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA that lives only as long as the test run (one day validity, removed on cleanup). */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), "roost-tls-"));
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      `/CN=Roost test CA ${randomBytes(4).toString("hex")}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return {
    dir,
    caFile: path.join(dir, "ca.pem"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A server certificate signed by `ca` for a hostname or an IP address. */
export function issueCert(ca: TestCa, name: string): ServerCert {
  const base = `srv-${randomBytes(4).toString("hex")}`;
  const san = /^\d+\.\d+\.\d+\.\d+$/.test(name) ? `IP:${name}` : `DNS:${name}`;
  writeFileSync(
    path.join(ca.dir, `${base}.ext`),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${san}`,
      "",
    ].join("\n"),
  );
  openssl(
    [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${base}.key`,
      "-out",
      `${base}.csr`,
      "-subj",
      `/CN=${name}`,
    ],
    ca.dir,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${base}.ext`,
      "-out",
      `${base}.pem`,
    ],
    ca.dir,
  );
  return {
    cert: readFileSync(path.join(ca.dir, `${base}.pem`), "utf8"),
    key: readFileSync(path.join(ca.dir, `${base}.key`), "utf8"),
  };
}

/** Whether this process may map test names in /etc/hosts (root, or a writable mount). */
export function canMapHosts(): boolean {
  try {
    accessSync(HOSTS_FILE, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Rewrites /etc/hosts without the lines of run `removeRun` and without lines left by runs
 * whose process died, then appends `add`. In place (writeFileSync), as it may be a mount.
 * Lines end with `MARKER <pid> <run>`: several test files may share one worker process.
 */
function rewriteHosts(removeRun: string, add: string[]): void {
  const lines = readFileSync(HOSTS_FILE, "utf8").split("\n");
  const kept = lines.filter((line) => {
    const at = line.indexOf(MARKER);
    if (at < 0) return true;
    const [pid, run] = line
      .slice(at + MARKER.length)
      .trim()
      .split(/\s+/);
    return run !== removeRun && pidAlive(Number(pid));
  });
  while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
  writeFileSync(HOSTS_FILE, `${[...kept, ...add].join("\n")}\n`);
}

export interface TlsHost {
  /** The handle domain and URL authority: `<label>-<run>.roost.test`. */
  authority: string;
  publicUrl: string;
  /** Where the terminator listens. */
  address: string;
  port: number;
}

/**
 * One hostname per label, mapped in /etc/hosts to its own 127/8 address. `release()` removes
 * the entries (a later run also drops entries whose process died).
 */
export function allocateHosts(labels: string[]): { hosts: TlsHost[]; release(): void } {
  if (!canMapHosts()) throw new Error(`${HOSTS_FILE} is not writable`);
  const run = randomBytes(3).toString("hex");
  const hosts = labels.map((label): TlsHost => {
    // Random 127/8 addresses: the terminators of concurrent runs never share an address.
    const address = `127.${randomInt(16, 250)}.${randomInt(1, 250)}.${randomInt(2, 250)}`;
    const authority = `${label}-${run}.roost.test`;
    return { authority, publicUrl: `https://${authority}`, address, port: 443 };
  });
  rewriteHosts(
    run,
    hosts.map((h) => `${h.address} ${h.authority} ${MARKER} ${process.pid} ${run}`),
  );
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    rewriteHosts(run, []);
  };
  // A worker that exits without teardown (a timed-out hook) still leaves /etc/hosts clean.
  process.once("exit", release);
  return { hosts, release };
}

export interface TlsTerminator {
  server: Server;
  close(): Promise<void>;
}

/**
 * Terminates TLS for `host` and forwards each request to 127.0.0.1:`targetPort` over plain
 * HTTP, keeping Host and adding the X-Forwarded-* headers a reverse proxy sets.
 */
export async function startTlsTerminator(
  host: TlsHost,
  cert: ServerCert,
  targetPort: number,
): Promise<TlsTerminator> {
  const server = createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const headers = { ...req.headers };
    headers["x-forwarded-proto"] = "https";
    headers["x-forwarded-for"] = req.socket.remoteAddress ?? "127.0.0.1";
    headers["x-forwarded-host"] = req.headers.host ?? host.authority;
    const upstream = httpRequest(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`Upstream error: ${error.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(host.port, host.address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A request from the test process to a test host. `fetch` cannot be told about the CA
 * (NODE_EXTRA_CA_CERTS is read at start-up only), node:https can.
 */
export async function httpsRequest(
  url: string,
  init: { method: string; headers: Headers; body?: string },
  caFile: string,
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {};
  init.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return await new Promise((resolve, reject) => {
    const req = httpsRequestRaw(url, { method: init.method, headers, ca: readFileSync(caFile) });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}
