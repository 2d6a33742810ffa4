/** Reports are whole steps of this many percent, so a restarted transcode reports the same ones. */
export const PROGRESS_STEP_PERCENT = 10;

export interface ProgressOptions {
  /** The source's duration; without it there is no percentage to tell. */
  readonly durationSeconds: number | undefined;
  /** At least this long between two reports, however fast the steps go by. */
  readonly minIntervalMs: number;
  readonly report: (percent: number) => void;
  readonly now?: () => number;
}

/**
 * Reads ffmpeg's `-progress` lines (`key=value`, one block per half second) and reports the
 * percent done, in whole steps, below 100 (the outcome event says "done"), no more often than
 * minIntervalMs, and each step at most once.
 */
export function createProgressReader({
  durationSeconds,
  minIntervalMs,
  report,
  now = Date.now,
}: ProgressOptions): (line: string) => void {
  let reported = 0;
  let reportedAt = -Infinity;
  return (line) => {
    if (!durationSeconds) return;
    const match = /^out_time_(?:us|ms)=(\d+)$/.exec(line.trim());
    if (!match) return;
    // Both keys hold microseconds (out_time_ms is misnamed in ffmpeg).
    const fraction = Number(match[1]) / 1e6 / durationSeconds;
    const step = Math.floor((fraction * 100) / PROGRESS_STEP_PERCENT) * PROGRESS_STEP_PERCENT;
    if (step <= reported || step >= 100 || now() - reportedAt < minIntervalMs) return;
    reported = step;
    reportedAt = now();
    report(step);
  };
}
