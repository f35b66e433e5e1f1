// An uploaded file, wherever it is: streamed to a temporary file (multipart uploads, so a
// 99 MB video never sits in memory, let alone several copies of it per request), or a
// `File` already in memory (JSON bodies, avatars through update_credentials, tests).
// Callers read its first bytes to detect the type and hand the path to sharp or storage.
import { createWriteStream } from "node:fs";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Busboy from "busboy";
import type { Context } from "hono";
import { type Params, parseEntries } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import { bodyReceived } from "../infra/gc-tuning.ts";
import { newId } from "../infra/ids.ts";

/** Enough for every signature src/media/detect.ts looks at. */
const HEAD_BYTES = 4096;

export interface Upload {
  size: number;
  /** The file on disk, when it was streamed there. */
  path?: string;
  /** The first bytes (type detection). */
  head(): Promise<Buffer>;
  /** All of it in memory; avoid for large files where `path` will do. */
  bytes(): Promise<Buffer>;
}

export function uploadFromFile(file: File): Upload {
  return {
    size: file.size,
    head: async () => Buffer.from(await file.slice(0, HEAD_BYTES).arrayBuffer()),
    bytes: async () => Buffer.from(await file.arrayBuffer()),
  };
}

export function uploadFromDisk(filePath: string, size: number): Upload {
  return {
    size,
    path: filePath,
    async head() {
      const handle = await open(filePath, "r");
      try {
        const buffer = Buffer.alloc(Math.min(HEAD_BYTES, size));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    bytes: () => readFile(filePath),
  };
}

/** A value of a form: an in-memory File becomes an Upload; anything else is not a file. */
export function asUpload(value: unknown): Upload | undefined {
  if (value instanceof File) return value.size > 0 ? uploadFromFile(value) : undefined;
  if (isUpload(value)) return value.size > 0 ? value : undefined;
  return undefined;
}

function isUpload(value: unknown): value is Upload {
  return typeof value === "object" && value !== null && "head" in value && "size" in value;
}

export interface StreamedForm {
  /** Text fields, bracket notation expanded, with each file field set to its Upload. */
  params: Params;
  /** Removes the temporary files; call when the request is done with them. */
  cleanup(): Promise<void>;
}

export interface StreamOptions {
  tmpDir: string;
  /** The whole body is refused with a 413 past this many bytes, declared or not. */
  maxBodyBytes: number;
  /** Larger files are refused with a 422 while streaming. */
  maxFileBytes: number;
  /** The only fields taken as files; other file parts are drained and ignored. */
  fileFields: readonly string[];
}

/**
 * The request body as a Node stream. Served by @hono/node-server, that is the socket's
 * IncomingMessage itself, as long as nothing has read from it: the fetch Request's body
 * is a web stream over it, and Node's adapter copies every chunk into it (10 MB of extra
 * garbage per photo, which set off a full garbage collection about once per upload).
 */
function bodyStream(c: Context): Readable | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (
    incoming instanceof Readable &&
    incoming.readableFlowing === null &&
    !incoming.readableDidRead
  )
    return incoming;
  const body = c.req.raw.body;
  return body ? Readable.fromWeb(body as never) : undefined;
}

/** Passes the body on, counting it in `seen.bytes`; fails with a 413 past `max` bytes. */
function bounded(max: number, seen: { bytes: number }) {
  return async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      seen.bytes += chunk.length;
      if (seen.bytes > max) throw ApiError.payloadTooLarge();
      yield chunk;
    }
  };
}

/**
 * Reads a multipart/form-data request, writing its file parts to `tmpDir` as they arrive.
 * Text fields are bounded in number and size, the whole body by `maxBodyBytes` (whether or
 * not it declared a length); malformed bodies are a 400.
 */
export async function streamMultipart(c: Context, options: StreamOptions): Promise<StreamedForm> {
  const body = bodyStream(c);
  if (!body) return { params: {}, cleanup: async () => {} };
  await mkdir(options.tmpDir, { recursive: true });
  const written: string[] = [];
  const cleanup = async () => {
    await Promise.all(written.map((f) => rm(f, { force: true })));
  };
  let parser: Busboy.Busboy;
  try {
    parser = Busboy({
      headers: { "content-type": c.req.header("content-type") ?? "" },
      limits: {
        fileSize: options.maxFileBytes,
        files: options.fileFields.length,
        fields: 64,
        fieldSize: 16 * 1024,
        parts: 80,
      },
    });
  } catch {
    throw ApiError.badRequest("Request body is malformed");
  }

  const fields: [string, string][] = [];
  const uploads = new Map<string, Upload>();
  const writes: Promise<void>[] = [];
  const seen = { bytes: 0 };
  let tooBig = false;
  parser.on("field", (name, value) => {
    fields.push([name, value]);
  });
  parser.on("file", (name, stream) => {
    if (!options.fileFields.includes(name) || uploads.has(name)) {
      stream.resume();
      return;
    }
    const file = path.join(options.tmpDir, `${newId()}-${name.replace(/\W/g, "")}`);
    written.push(file);
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
    });
    stream.on("limit", () => {
      tooBig = true;
    });
    const write = pipeline(stream, createWriteStream(file)).then(() => {
      uploads.set(name, uploadFromDisk(file, size));
    });
    // A body that fails mid-way fails this write too, after the parse has already thrown:
    // handled here so it is not an unhandled rejection, and awaited below for the cleanup.
    write.catch(() => {});
    writes.push(write);
  });

  try {
    await pipeline(body, bounded(options.maxBodyBytes, seen), parser);
    await Promise.all(writes);
    // Every chunk of the body is garbage now; see src/infra/gc-tuning.ts.
    bodyReceived(seen.bytes);
  } catch (error) {
    await Promise.allSettled(writes);
    await cleanup();
    if (error instanceof ApiError) throw error;
    throw ApiError.badRequest("Request body is malformed");
  }
  if (tooBig) {
    await cleanup();
    const mb = Math.round(options.maxFileBytes / 1_048_576);
    throw ApiError.unprocessable(`Validation failed: File file size must be less than ${mb} MB`);
  }
  const params = parseEntries(fields);
  for (const [name, upload] of uploads) params[name] = upload;
  return { params, cleanup };
}
