// ffmpeg and ffprobe, when installed: probing video and audio for their metadata and
// grabbing a video's first frame for its preview. They are looked for on PATH once per
// process; without them video and audio are stored as uploaded, with no preview and no
// duration (src/media/serializer.ts shows preview_url null), which is what the docs say.
//
// Both run with spawn (no shell, arguments as a list), a deadline after which they are
// killed, a cap on what they may write to us, and a list of the only demuxers they may
// use: a file that merely claims to be MP4 can't make ffmpeg follow an HLS or concat
// playlist to local files or URLs.
import { spawn } from "node:child_process";
import { log } from "../infra/logging.ts";

const logger = log("media");

/** The containers detectMedia accepts, by ffmpeg's demuxer names. */
const DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,ogg,wav,flac,mp3,aac";
export const FFMPEG_TIMEOUT_MS = 60_000;
/** Bounds what a child may send back (a probe's JSON, one PNG frame). */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export class FfmpegError extends Error {
  override name = "FfmpegError";
}

/** Runs a program without a shell, killing it past `timeoutMs` or MAX_OUTPUT_BYTES. */
export function run(command: string, args: string[], timeoutMs = FFMPEG_TIMEOUT_MS) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], shell: false });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let failure: Error | undefined;
    const stop = (error: Error) => {
      failure ??= error;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(
      () => stop(new FfmpegError(`${command} took over ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) stop(new FfmpegError(`${command} wrote too much`));
      else chunks.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      // Only the end is kept: that's where ffmpeg says what went wrong.
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(chunks), stderr });
    });
  });
}

let availability: Promise<boolean> | undefined;

/** Whether both ffmpeg and ffprobe run; asked once per process. */
export function ffmpegAvailable(): Promise<boolean> {
  availability ??= (async () => {
    const works = (command: string) =>
      run(command, ["-version"], 10_000).then(
        (r) => r.code === 0,
        () => false,
      );
    const [ffmpeg, ffprobe] = await Promise.all([works("ffmpeg"), works("ffprobe")]);
    const found = ffmpeg && ffprobe;
    if (!found) {
      logger.info("ffmpeg/ffprobe not found on PATH: video and audio get no previews or duration");
    }
    return found;
  })();
  return availability;
}

export interface Probe {
  /** Has a real video stream (not just cover art). */
  video: boolean;
  audio: boolean;
  width: number | null;
  height: number | null;
  /** As ffprobe gives it, e.g. "30000/1001" (Mastodon's shape). */
  frameRate: string | null;
  duration: number | null;
  bitrate: number | null;
}

interface ProbeJson {
  streams?: {
    codec_type?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
    disposition?: { attached_pic?: number };
  }[];
  format?: { duration?: string; bit_rate?: string };
}

const positive = (value: string | undefined): number | null => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
};

/** Reads a file's streams and container with ffprobe; throws FfmpegError if it can't. */
export async function probe(file: string): Promise<Probe> {
  const result = await run("ffprobe", [
    "-v",
    "error",
    "-format_whitelist",
    DEMUXERS,
    "-print_format",
    "json",
    "-show_format",
    "-show_streams",
    file,
  ]);
  if (result.code !== 0) throw new FfmpegError(`ffprobe failed: ${result.stderr.trim()}`);
  let json: ProbeJson;
  try {
    json = JSON.parse(result.stdout.toString("utf8")) as ProbeJson;
  } catch {
    throw new FfmpegError("ffprobe wrote no JSON");
  }
  const streams = json.streams ?? [];
  // Cover art in an MP3 or M4A is a "video" stream of one picture: still audio.
  const video = streams.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic);
  const audio = streams.some((s) => s.codec_type === "audio");
  const rate =
    video?.avg_frame_rate && video.avg_frame_rate !== "0/0" ? video.avg_frame_rate : null;
  return {
    video: video !== undefined,
    audio,
    width: video?.width ?? null,
    height: video?.height ?? null,
    frameRate:
      rate ?? (video?.r_frame_rate && video.r_frame_rate !== "0/0" ? video.r_frame_rate : null),
    duration: positive(json.format?.duration) ?? positive(video?.duration),
    bitrate: positive(json.format?.bit_rate),
  };
}

/** The first frame of a video as a PNG, scaled down to at most 1920 pixels a side. */
export async function firstFrame(file: string): Promise<Buffer> {
  const result = await run("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-format_whitelist",
    DEMUXERS,
    "-i",
    file,
    "-map",
    "0:v:0",
    "-frames:v",
    "1",
    "-vf",
    "scale=w='min(iw,1920)':h='min(ih,1920)':force_original_aspect_ratio=decrease",
    "-f",
    "image2pipe",
    "-c:v",
    "png",
    "pipe:1",
  ]);
  if (result.code !== 0 || result.stdout.length === 0) {
    throw new FfmpegError(`ffmpeg could not read a frame: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/**
 * An animated GIF as a muted H.264 MP4 (what Mastodon serves as `gifv`): far smaller, and
 * played by every client. Dimensions are evened, as yuv420p needs.
 */
export async function gifToMp4(input: string, output: string): Promise<void> {
  const result = await run("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-y",
    "-format_whitelist",
    "gif",
    "-f",
    "gif",
    "-i",
    input,
    "-an",
    "-map_metadata",
    "-1",
    "-movflags",
    "+faststart",
    "-pix_fmt",
    "yuv420p",
    "-vf",
    "scale=trunc(iw/2)*2:trunc(ih/2)*2",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "23",
    "-f",
    "mp4",
    output,
  ]);
  if (result.code !== 0) throw new FfmpegError(`ffmpeg could not convert: ${result.stderr.trim()}`);
}
