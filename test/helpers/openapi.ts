// Validates response bodies against the Mastodon OpenAPI description (OpenAPI 3.1, so its
// schemas are JSON Schema 2020-12: nullability is `type: [..., "null"]`, never `nullable`).
// The whole document is registered once under an id, and schemas are compiled lazily by
// JSON pointer, so `$ref: "#/components/schemas/..."` resolves against the document root.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const OPENAPI_PATH = path.resolve(repoRoot, "../shared/mastodon-openapi/schema.json");

const DOC_ID = "mastodon-openapi";

// ajv-formats is CommonJS with `exports.default`; requiring it sidesteps the ESM default-import
// mismatch between TypeScript (NodeNext) and the runtime.
const require = createRequire(import.meta.url);
const addFormats = require("ajv-formats") as (ajv: Ajv2020) => Ajv2020;

interface OpenApiDoc {
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  components?: { schemas?: Record<string, unknown> };
}

let cached: { ajv: Ajv2020; doc: OpenApiDoc } | undefined;

function load(): { ajv: Ajv2020; doc: OpenApiDoc } {
  if (cached) return cached;
  const doc = JSON.parse(readFileSync(OPENAPI_PATH, "utf8")) as OpenApiDoc;
  const ajv = new Ajv2020({
    // OpenAPI adds keywords JSON Schema does not know (`example`, `externalDocs`, ...).
    strict: false,
    allErrors: true,
    // The document root is an OpenAPI object, not a schema; do not check it against the meta-schema.
    validateSchema: false,
    validateFormats: true,
  });
  addFormats(ajv);
  // Mastodon sends "" for an unset contact email, which `format: email` rejects; real
  // Mastodon servers do this, so accept "" and otherwise require something address-shaped.
  ajv.addFormat("email", /^$|^[^\s@]+@[^\s@]+$/);
  // OpenAPI/Mastodon-specific formats.
  ajv.addFormat("iso-639-1", /^[a-z]{2}$/);
  ajv.addFormat("scopes", /^[a-z:]+( [a-z:]+)*$/);
  ajv.addFormat("binary", true);
  ajv.addSchema(doc, DOC_ID);
  cached = { ajv, doc };
  return cached;
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function compile(pointer: string): ValidateFunction {
  const { ajv } = load();
  const validate = ajv.getSchema(`${DOC_ID}#${pointer}`);
  if (!validate) throw new Error(`No schema at ${pointer} in ${OPENAPI_PATH}`);
  return validate;
}

/** Names of all `#/components/schemas/*` entries. */
export function schemaNames(): string[] {
  return Object.keys(load().doc.components?.schemas ?? {});
}

/** Throws a readable error listing each failing path unless `body` matches the named schema. */
export function expectSchema(name: string, body: unknown): void {
  if (!load().doc.components?.schemas?.[name]) {
    throw new Error(`Unknown schema "${name}" (not in #/components/schemas)`);
  }
  check(compile(`/components/schemas/${escapePointer(name)}`), body, name);
}

/**
 * Validates a response body against the schema the document gives for `method path status`
 * (path as written in the document, e.g. "/api/v1/accounts/{id}"), application/json.
 */
export function expectResponseSchema(
  method: string,
  apiPath: string,
  status: number,
  body: unknown,
): void {
  const { doc } = load();
  const op = doc.paths?.[apiPath]?.[method.toLowerCase()];
  if (!op) throw new Error(`No operation ${method.toUpperCase()} ${apiPath} in the schema`);
  const response = op.responses?.[String(status)] as
    | { content?: Record<string, { schema?: unknown }> }
    | undefined;
  if (!response) throw new Error(`No ${status} response for ${method.toUpperCase()} ${apiPath}`);
  if (!response.content?.["application/json"]?.schema) {
    throw new Error(`${method.toUpperCase()} ${apiPath} ${status} has no JSON body schema`);
  }
  const pointer = [
    "paths",
    apiPath,
    method.toLowerCase(),
    "responses",
    String(status),
    "content",
    "application/json",
    "schema",
  ]
    .map(escapePointer)
    .join("/");
  check(compile(`/${pointer}`), body, `${method.toUpperCase()} ${apiPath} ${status}`);
}

function check(validate: ValidateFunction, body: unknown, label: string): void {
  if (validate(body)) return;
  const lines = formatErrors(validate.errors ?? [], body);
  throw new Error(`Response does not match ${label}:\n${lines.join("\n")}`);
}

function formatErrors(errors: ErrorObject[], body: unknown): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of errors) {
    const where = e.instancePath || "(root)";
    let what = e.message ?? e.keyword;
    if (e.keyword === "required")
      what = `is missing required property "${e.params.missingProperty}"`;
    else if (e.keyword === "additionalProperties") {
      what = `has unexpected property "${e.params.additionalProperty}"`;
    } else if (e.keyword !== "oneOf" && e.keyword !== "anyOf") {
      what = `${what}, got ${preview(valueAt(body, e.instancePath))}`;
    }
    const line = `  ${where} ${what}   [${e.schemaPath}]`;
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines;
}

function valueAt(body: unknown, pointer: string): unknown {
  if (pointer === "") return body;
  let node: unknown = body;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function preview(value: unknown): string {
  const text = value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
