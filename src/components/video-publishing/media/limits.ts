import { availableParallelism } from 'node:os';
import { MAX_TIMER_MS } from '../../../config/defaults.ts';
import type { ToolLimits } from './sandbox.ts';

/**
 * Bounds on what one upload may cost us. A file of a few kilobytes can claim to be hours long,
 * enormous, or hundreds of frames a second, and ffmpeg would faithfully spend hours or
 * gigabytes on it, holding up every transcode queued behind it. Our output is at most 720p,
 * so nothing larger than 4K at 60 frames a second is worth decoding.
 */
export interface TranscodeLimits {
  /** The longest source accepted, as ffprobe reads it; ffmpeg also stops there (-t), for files that hide their length. */
  readonly maxDurationSeconds: number;
  /** The largest picture accepted, width × height; ffmpeg's decoders refuse larger frames too (-max_pixels), should one appear mid-stream. */
  readonly maxPixels: number;
  /** The longest side accepted, either way up (a 8000×1000 strip is few pixels, but no camera's). */
  readonly maxSide: number;
  /** The most frames a second accepted, as ffprobe reads the average rate. */
  readonly maxFrameRate: number;
  /**
   * The work one upload may ask for: width × height × frames a second × seconds, all it would
   * have us decode. A file that does not say how long it is is converted only as far as this allows.
   */
  readonly maxDecodedPixels: number;
  /** The largest MP4 stored (ffmpeg's -fs): a conversion that reaches it fails, rather than publish a cut-off video. */
  readonly maxOutputBytes: number;
  /** Wall-clock time a transcode may take, per second of video… */
  readonly timePerVideoSecond: number;
  /** …plus this much, for ffmpeg to start and finish. Past that ffmpeg is killed and the video fails. */
  readonly extraTimeMs: number;
  /** Memory one ffmpeg or ffprobe may allocate (where prlimit is there to hold it to that). */
  readonly memoryBytes: number;
}

// The budget in words a creator knows: this much 1080p at 60 frames a second.
export const BUDGET_REFERENCE = {
  width: 1920,
  height: 1080,
  frameRate: 60,
  name: '1080p at 60 frames a second',
} as const;

export const DEFAULT_TRANSCODE_LIMITS: TranscodeLimits = {
  maxDurationSeconds: 2 * 60 * 60,
  // 4K UHD, in either orientation; DCI 4K (4096×2160) is just over, and refused.
  maxPixels: 3840 * 2160,
  maxSide: 4096,
  maxFrameRate: 60,
  // Two hours of 1080p at 60: a long lecture at full HD, about an hour of work at veryfast on two cores.
  maxDecodedPixels: BUDGET_REFERENCE.width * BUDGET_REFERENCE.height * BUDGET_REFERENCE.frameRate * 2 * 60 * 60,
  // Two hours at 720p is about 1–2 GB at CRF 23; a source that converts to far more is noise, not a lecture.
  maxOutputBytes: 4 * 1024 ** 3,
  // 4K at 60 frames a second took 2 to 2.6 times its length to convert to 720p on two busy
  // cores (docs/benchmarks.md); five times means the machine is swamped or the file is pathological.
  timePerVideoSecond: 5,
  extraTimeMs: 60_000,
  // A 4K source to 720p held about 250 MB; threads on a larger machine take more.
  memoryBytes: 2 * 1024 ** 3,
};

/** The defaults, overridden by what `given` defines; each must be a positive number, or this throws (a setting mistyped at startup). */
export function transcodeLimits(given: Partial<TranscodeLimits> = {}): TranscodeLimits {
  const limits = {
    ...DEFAULT_TRANSCODE_LIMITS,
    ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`transcode limit ${name} must be a positive number, not ${value}`);
  }
  return limits;
}

/**
 * How much of a source ffmpeg is let convert: its whole length, or, when its length is unknown,
 * as much as the longest allowed and the work budget allow at its size and frame rate.
 */
export function secondsToConvert(
  limits: TranscodeLimits,
  source: { width: number; height: number; frameRate: number | undefined; durationSeconds: number | undefined },
): number {
  const pixelsPerSecond = source.width * source.height * (source.frameRate ?? limits.maxFrameRate);
  const affordable = limits.maxDecodedPixels / pixelsPerSecond;
  return Math.min(source.durationSeconds ?? affordable, limits.maxDurationSeconds, affordable);
}

/**
 * The largest frame ffmpeg's decoders may allocate for this source (-max_pixels): about the size
 * ffprobe read, not the 4K allowed to any file. The budget was judged on that size, and a file
 * can change size partway (a small first frame, then 4K): larger frames are then dropped unread
 * rather than decoded at many times the work. Room is left for the padding decoders add (a
 * width rounded up to their stride, a height to their block size) and for a modest change.
 */
export function frameCap(limits: TranscodeLimits, source: { width: number; height: number }): number {
  const { width, height } = source;
  return Math.min(limits.maxPixels, Math.max(2 * width * height, (width + 128) * (height + 64)));
}

/** How long a transcode of `seconds` of video may run. */
export function transcodeTimeLimitMs(limits: TranscodeLimits, seconds: number): number {
  // A timer set past 2³¹ − 1 ms fires at once (Node's overflow rule): a generous setting must not become none.
  return Math.min(Math.ceil(seconds * limits.timePerVideoSecond * 1000 + limits.extraTimeMs), MAX_TIMER_MS);
}

// ffmpeg's -fs stops the media a little past the limit, and +faststart then grows the file by its index.
const OUTPUT_HEADROOM_BYTES = 64 * 1024 ** 2;
// A poster frame, or nothing at all (ffprobe writes only to its pipe).
const SMALL_FILE_BYTES = 16 * 1024 ** 2;

/**
 * What the kernel lets one run use, for a run we give `timeoutMs` of wall-clock time. The CPU
 * time is that much on every core: the timer ends a run first; the CPU limit is for a tool
 * that outlives the timer, its parent gone where nothing ties it to its parent.
 */
export function toolLimits(
  limits: TranscodeLimits,
  timeoutMs: number,
  writes: 'video' | 'small' = 'small',
): ToolLimits {
  return {
    cpuSeconds: Math.ceil((timeoutMs / 1000) * availableParallelism()),
    memoryBytes: limits.memoryBytes,
    fileBytes: writes === 'video' ? Math.ceil(limits.maxOutputBytes * 1.1) + OUTPUT_HEADROOM_BYTES : SMALL_FILE_BYTES,
  };
}
