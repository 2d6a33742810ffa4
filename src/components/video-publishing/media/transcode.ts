import { availableParallelism } from 'node:os';
import { ACCEPTED_CONTAINERS } from './formats.ts';
import type { TranscodeLimits } from './limits.ts';
import { runTool } from './run-tool.ts';
import type { Sandbox, ToolLimits } from './sandbox.ts';

// At most 1280×720, keeping the shape as displayed (iw*sar: some sources have non-square
// pixels), never enlarged, and even on both sides (H.264 in 4:2:0 needs that).
const FIT = 'min(1,min(1280/(iw*sar),720/ih))';
export const SCALE = `scale=w='max(2,trunc(${FIT}*iw*sar/2)*2)':h='max(2,trunc(${FIT}*ih/2)*2)',setsar=1`;

// ffmpeg and x264 start a thread per core, each holding frames: on a 32-core machine an honest
// 4K upload then outgrew the memory one conversion may have. Eight keep a 720p encode busy.
const MAX_THREADS = 8;
export const transcodeThreads = (): number => Math.min(availableParallelism(), MAX_THREADS);

// Every run: no banner or prompt, errors only, overwrite the output; and only plain files, so no
// URL a file names is followed.
export const QUIET_PLAIN_FILES = [
  '-hide_banner',
  '-nostdin',
  '-loglevel',
  'error',
  '-y',
  '-protocol_whitelist',
  'file',
] as const;

/** What ffmpeg itself is told to stop at: the checks before it only see what the file's headers claim. */
export interface OutputCaps extends Pick<TranscodeLimits, 'maxPixels' | 'maxOutputBytes'> {
  /** How much of the source to convert (-t): its length, or less for a file that does not say it. */
  readonly seconds: number;
}

/** ffmpeg's arguments for a web-playable MP4: H.264 + AAC, the index up front so playback starts before the download ends. */
export function transcodeArguments(input: string, output: string, caps: OutputCaps): string[] {
  return [
    ...QUIET_PLAIN_FILES,
    '-format_whitelist',
    ACCEPTED_CONTAINERS,
    // A decoder option: a frame larger than this (say, a resolution change mid-stream) is refused, not allocated.
    '-max_pixels',
    String(caps.maxPixels),
    '-threads',
    String(transcodeThreads()),
    '-i',
    input,
    // The first video stream, and the first audio stream if there is one: a silent video publishes too.
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-vf',
    SCALE,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    '-pix_fmt',
    'yuv420p',
    '-threads',
    String(transcodeThreads()),
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    // Phones record where a video was shot; nothing of the source's metadata is passed on.
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-movflags',
    '+faststart',
    // Frames are passed on with their own timestamps (variable frame rate, which MP4 holds):
    // by default ffmpeg fills each gap between two frames with copies of the first, so three
    // frames hours apart would become hundreds of thousands.
    '-vsync',
    'vfr',
    // Files can hide or misstate their length: whatever they hold, no more than this is made.
    '-t',
    caps.seconds.toFixed(3),
    '-fs',
    String(caps.maxOutputBytes),
    '-progress',
    'pipe:1',
    '-nostats',
    '-f',
    'mp4',
    output,
  ];
}

/** One JPEG frame, `atSeconds` in, at the video's size. */
export function posterArguments(input: string, output: string, atSeconds: number): string[] {
  return [
    ...QUIET_PLAIN_FILES,
    '-ss',
    atSeconds.toFixed(3),
    '-i',
    input,
    '-frames:v',
    '1',
    '-q:v',
    '3',
    '-f',
    'image2',
    '-c:v',
    'mjpeg',
    output,
  ];
}

/** A frame to take, `atSeconds` in, written as a JPEG to `output`. */
export interface FrameShot {
  readonly atSeconds: number;
  readonly output: string;
}

/**
 * Several JPEG frames at the video's size in one run: one input per point in time, each seeked
 * to by the demuxer (-ss before -i: through the MP4's index to the keyframe before it, then
 * decoded to the point), so the cost is a few keyframe intervals, however long the video. A
 * point past the last frame writes nothing there (and the run still succeeds).
 */
export function frameArguments(input: string, shots: readonly FrameShot[]): string[] {
  const times = [...new Set(shots.map((shot) => shot.atSeconds.toFixed(3)))];
  return [
    ...QUIET_PLAIN_FILES,
    ...times.flatMap((time) => ['-ss', time, '-i', input]),
    ...shots.flatMap(({ atSeconds, output }) => [
      '-map',
      `${times.indexOf(atSeconds.toFixed(3))}:v:0`,
      '-frames:v',
      '1',
      '-q:v',
      '3',
      '-f',
      'image2',
      '-c:v',
      'mjpeg',
      output,
    ]),
  ];
}

export interface TranscodeOptions {
  readonly signal: AbortSignal;
  readonly onProgressLine: (line: string) => void;
  readonly caps: OutputCaps;
  /** Past this ffmpeg is killed: ToolTimedOutError. */
  readonly timeoutMs: number;
  readonly sandbox: Sandbox;
  readonly limits: ToolLimits;
}

// Frames of our own MP4, found through its index: seconds, however long the video.
export const POSTER_TIMEOUT_MS = 60_000;

export async function transcode(
  ffmpegPath: string,
  input: string,
  output: string,
  { signal, onProgressLine, caps, timeoutMs, sandbox, limits }: TranscodeOptions,
): Promise<void> {
  await runTool(ffmpegPath, transcodeArguments(input, output, caps), {
    signal,
    onLine: onProgressLine,
    timeoutMs,
    sandbox,
    limits,
  });
}

export interface PosterOptions {
  readonly signal: AbortSignal;
  readonly sandbox: Sandbox;
  readonly limits: ToolLimits;
}

export async function extractFrames(
  ffmpegPath: string,
  input: string,
  shots: readonly FrameShot[],
  { signal, sandbox, limits }: PosterOptions,
): Promise<void> {
  await runTool(ffmpegPath, frameArguments(input, shots), { signal, timeoutMs: POSTER_TIMEOUT_MS, sandbox, limits });
}

export async function extractPoster(
  ffmpegPath: string,
  input: string,
  output: string,
  atSeconds: number,
  { signal, sandbox, limits }: PosterOptions,
): Promise<void> {
  await runTool(ffmpegPath, posterArguments(input, output, atSeconds), {
    signal,
    timeoutMs: POSTER_TIMEOUT_MS,
    sandbox,
    limits,
  });
}
