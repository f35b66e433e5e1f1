// What a file is, read from its first bytes (magic numbers). The name and the declared
// Content-Type are the client's word and are never trusted: a `.png` holding a script is
// refused, a JPEG named `photo.png` is a JPEG.
import type { MediaType } from "../infra/db/schema.ts";

export interface Detected {
  mime: string;
  type: MediaType;
  extension: string;
}

const ascii = (bytes: Uint8Array, offset: number, length: number) =>
  String.fromCharCode(...bytes.subarray(offset, offset + length));

const starts = (bytes: Uint8Array, signature: number[], offset = 0) =>
  signature.every((b, i) => bytes[offset + i] === b);

/** The ISO-BMFF brands (the `ftyp` box) that say what an MP4-family file holds. */
function fromFtyp(bytes: Uint8Array): Detected | undefined {
  if (ascii(bytes, 4, 4) !== "ftyp") return undefined;
  const major = ascii(bytes, 8, 4);
  const boxSize = Math.min(
    ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0,
    bytes.length,
  );
  const brands = [major];
  for (let i = 16; i + 4 <= boxSize; i += 4) brands.push(ascii(bytes, i, 4));
  if (brands.some((b) => b === "avif" || b === "avis")) {
    return { mime: "image/avif", type: "image", extension: "avif" };
  }
  if (brands.some((b) => ["heic", "heix", "heim", "heis", "mif1", "msf1"].includes(b))) {
    return { mime: "image/heic", type: "image", extension: "heic" };
  }
  if (major === "M4A " || major === "M4B ") {
    return { mime: "audio/mp4", type: "audio", extension: "m4a" };
  }
  if (major === "qt  ") return { mime: "video/quicktime", type: "video", extension: "mov" };
  return { mime: "video/mp4", type: "video", extension: "mp4" };
}

/** The file's type, or undefined when it is none Roost accepts. */
export function detectMedia(bytes: Uint8Array): Detected | undefined {
  if (bytes.length < 12) return undefined;
  if (starts(bytes, [0xff, 0xd8, 0xff])) {
    return { mime: "image/jpeg", type: "image", extension: "jpg" };
  }
  if (starts(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { mime: "image/png", type: "image", extension: "png" };
  }
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") {
    return { mime: "image/gif", type: "image", extension: "gif" };
  }
  if (ascii(bytes, 0, 4) === "RIFF") {
    const form = ascii(bytes, 8, 4);
    if (form === "WEBP") return { mime: "image/webp", type: "image", extension: "webp" };
    if (form === "WAVE") return { mime: "audio/wav", type: "audio", extension: "wav" };
    return undefined;
  }
  const ftyp = fromFtyp(bytes);
  if (ftyp) return ftyp;
  if (starts(bytes, [0x1a, 0x45, 0xdf, 0xa3])) {
    return { mime: "video/webm", type: "video", extension: "webm" };
  }
  if (ascii(bytes, 0, 4) === "OggS") {
    // Ogg holds Theora video or Vorbis/Opus audio; the first page's codec header says which.
    const head = ascii(bytes, 28, 8);
    if (head.includes("theora")) return { mime: "video/ogg", type: "video", extension: "ogv" };
    return { mime: "audio/ogg", type: "audio", extension: "ogg" };
  }
  if (ascii(bytes, 0, 4) === "fLaC")
    return { mime: "audio/flac", type: "audio", extension: "flac" };
  // MP3: an ID3v2 tag, or an MPEG audio frame sync (11 bits set) with layer III.
  if (ascii(bytes, 0, 3) === "ID3" || (bytes[0] === 0xff && (bytes[1]! & 0xe6) === 0xe2)) {
    return { mime: "audio/mpeg", type: "audio", extension: "mp3" };
  }
  // AAC in ADTS framing.
  if (bytes[0] === 0xff && (bytes[1]! & 0xf6) === 0xf0) {
    return { mime: "audio/aac", type: "audio", extension: "aac" };
  }
  return undefined;
}

/** Content-Type by extension, for serving stored files (their keys end in the real one). */
export function mimeOfExtension(extension: string): string {
  const map: Record<string, string> = {
    jpg: "image/jpeg",
    png: "image/png",
    gif: "image/gif",
    webp: "image/webp",
    avif: "image/avif",
    heic: "image/heic",
    mp4: "video/mp4",
    mov: "video/quicktime",
    webm: "video/webm",
    ogv: "video/ogg",
    ogg: "audio/ogg",
    wav: "audio/wav",
    flac: "audio/flac",
    mp3: "audio/mpeg",
    m4a: "audio/mp4",
    aac: "audio/aac",
  };
  return map[extension.toLowerCase()] ?? "application/octet-stream";
}
