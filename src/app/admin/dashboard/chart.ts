import { countLabel } from './format.ts';
import type { MinuteCount } from './queries.ts';

// The chart's drawing box, in SVG units: one slot per minute, bars from the bottom up.
const SLOT = 10;
const BAR = 8;
const HEIGHT = 100;

interface MinuteBar {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly label: string;
}

/**
 * Messages per minute as SVG bars: drawn with attributes, not style, since the site's CSP allows
 * no inline styles. Each bar carries its minute and count as a tooltip and for screen readers.
 */
export function minuteChart(minutes: readonly MinuteCount[]) {
  const peak = Math.max(0, ...minutes.map((minute) => minute.messages));
  const bars: MinuteBar[] = minutes.map((minute, n) => {
    const height = peak === 0 ? 0 : Math.max(minute.messages > 0 ? 1 : 0, Math.round((minute.messages / peak) * HEIGHT));
    return {
      x: n * SLOT,
      y: HEIGHT - height,
      width: BAR,
      height,
      label: `${minute.minute.toISOString().slice(11, 16)} UTC: ${countLabel(minute.messages)} ${minute.messages === 1 ? 'message' : 'messages'}`,
    };
  });
  const total = minutes.reduce((sum, minute) => sum + minute.messages, 0);
  return { bars, width: minutes.length * SLOT, height: HEIGHT, total: countLabel(total), peak: countLabel(peak) };
}
