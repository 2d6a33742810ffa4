import type { Readable } from 'node:stream';

export interface MinimumRate {
  readonly bytesPerSecond: number;
  /** Over how long the rate is measured: a short stall is forgiven, a sustained trickle is not. */
  readonly windowMs: number;
}

// Checks per window: the rate is measured over the last window at each of them.
const CHECKS_PER_WINDOW = 6;

/**
 * Calls `tooSlow` once if, over any whole window since watching began, fewer than
 * `bytesPerSecond × window` bytes arrived. Returns a function that stops watching. An upload slot
 * held by a client sending a byte every few seconds is a slot no one else can use for hours.
 */
export function watchTransferRate(
  source: Readable,
  { bytesPerSecond, windowMs }: MinimumRate,
  tooSlow: () => void,
): () => void {
  let received = 0;
  const count = (chunk: Buffer) => void (received += chunk.length);
  // What had arrived at each of the last checks, oldest first: the first is a window ago.
  const seen: number[] = [0];
  const timer = setInterval(() => {
    seen.push(received);
    if (seen.length > CHECKS_PER_WINDOW + 1) seen.shift();
    if (seen.length <= CHECKS_PER_WINDOW) return;
    if (received - seen[0]! < (bytesPerSecond * windowMs) / 1000) {
      stop();
      tooSlow();
    }
  }, windowMs / CHECKS_PER_WINDOW);
  const stop = () => {
    clearInterval(timer);
    source.off('data', count);
  };
  source.on('data', count);
  return stop;
}
