/**
 * Bounds on what one upload may cost us. A file of a few kilobytes can claim to be hours long
 * or enormous in size, and ffmpeg would faithfully spend hours or gigabytes on it, holding up
 * every transcode queued behind it.
 */
export interface TranscodeLimits {
  /** The longest source accepted, as ffprobe reads it; ffmpeg also stops there (-t), for files that hide their length. */
  readonly maxDurationSeconds: number;
  /** The largest picture accepted, width × height; ffmpeg's decoders refuse larger frames too (-max_pixels), should one appear mid-stream. */
  readonly maxPixels: number;
  /** The largest MP4 stored (ffmpeg's -fs): a conversion that reaches it fails, rather than publish a cut-off video. */
  readonly maxOutputBytes: number;
  /** Wall-clock time a transcode may take, per second of video… */
  readonly timePerVideoSecond: number;
  /** …plus this much, for ffmpeg to start and finish. Past that ffmpeg is killed and the video fails. */
  readonly extraTimeMs: number;
}

export const DEFAULT_TRANSCODE_LIMITS: TranscodeLimits = {
  maxDurationSeconds: 2 * 60 * 60,
  // 8K UHD, in either orientation.
  maxPixels: 7680 * 4320,
  // Two hours at 720p is about 1–2 GB at CRF 23; a source that converts to far more is noise, not a lecture.
  maxOutputBytes: 4 * 1024 ** 3,
  // veryfast at 720p runs several times faster than real time even at low priority; ten times
  // slower than real time means the machine is swamped or the file is pathological.
  timePerVideoSecond: 10,
  extraTimeMs: 60_000,
};

/** The defaults, overridden by `given`; each must be a positive number, or this throws (a setting mistyped at startup). */
export function transcodeLimits(given: Partial<TranscodeLimits> = {}): TranscodeLimits {
  const limits = { ...DEFAULT_TRANSCODE_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`transcode limit ${name} must be a positive number, not ${value}`);
  }
  return limits;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long a transcode of a `durationSeconds` video may run; one whose length is unknown is allowed the longest's time (-t cuts it there). */
export function transcodeTimeLimitMs(limits: TranscodeLimits, durationSeconds: number | undefined): number {
  const seconds = Math.min(durationSeconds ?? limits.maxDurationSeconds, limits.maxDurationSeconds);
  // A timer set past 2³¹ − 1 ms fires at once (Node's overflow rule): a generous setting must not become none.
  return Math.min(Math.ceil(seconds * limits.timePerVideoSecond * 1000 + limits.extraTimeMs), MAX_TIMER_MS);
}
