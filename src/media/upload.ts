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
  /** Larger files are refused with a 422 while streaming. */
  maxFileBytes: number;
  /** The only fields taken as files; other file parts are drained and ignored. */
  fileFields: readonly string[];
}

/**
 * Reads a multipart/form-data request, writing its file parts to `tmpDir` as they arrive.
 * Text fields are bounded in number and size; malformed bodies are a 400.
 */
export async function streamMultipart(c: Context, options: StreamOptions): Promise<StreamedForm> {
  const body = c.req.raw.body;
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
    writes.push(
      pipeline(stream, createWriteStream(file)).then(() => {
        uploads.set(name, uploadFromDisk(file, size));
      }),
    );
  });

  try {
    await pipeline(Readable.fromWeb(body as never), parser);
    await Promise.all(writes);
  } catch (error) {
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
