import { countLabel } from '../shared/format.ts';
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

const clock = (time: Date): string => time.toISOString().slice(11, 16);
/** Where the time axis is labelled: every quarter of the hour shown, and its last minute. */
const TICKS = 4;

/**
 * Messages per minute as SVG bars: drawn with attributes, not style, since the site's CSP allows
 * no inline styles. Each bar carries its minute and count as a tooltip and for screen readers.
 * The axes' labels are the page's own text around the drawing (the drawing stretches to the
 * page's width, text inside it would stretch with it): the busiest count and 0 up the side,
 * times along the bottom; the busy minutes are also a table, the chart's text alternative.
 */
export function minuteChart(minutes: readonly MinuteCount[]) {
  const peak = Math.max(0, ...minutes.map((minute) => minute.messages));
  const bars: MinuteBar[] = minutes.map((minute, n) => {
    const height =
      peak === 0 ? 0 : Math.max(minute.messages > 0 ? 1 : 0, Math.round((minute.messages / peak) * HEIGHT));
    return {
      x: n * SLOT,
      y: HEIGHT - height,
      width: BAR,
      height,
      label: `${clock(minute.minute)} UTC: ${countLabel(minute.messages)} ${minute.messages === 1 ? 'message' : 'messages'}`,
    };
  });
  const total = minutes.reduce((sum, minute) => sum + minute.messages, 0);
  const last = minutes.length - 1;
  const ticks =
    last < 1 ? [] : Array.from({ length: TICKS + 1 }, (_, n) => clock(minutes[Math.round((n * last) / TICKS)]!.minute));
  const busiest = minutes.find((minute) => minute.messages === peak && peak > 0);
  const from = minutes[0] ? clock(minutes[0].minute) : '';
  const to = minutes[last] ? clock(minutes[last].minute) : '';
  return {
    bars,
    width: minutes.length * SLOT,
    height: HEIGHT,
    total: countLabel(total),
    peak: countLabel(peak),
    ticks,
    /** What a screen reader hears for the whole drawing. */
    summary:
      `Messages per minute from ${from} to ${to} UTC: ${countLabel(total)} in all` +
      (busiest ? `, the busiest minute ${clock(busiest.minute)} with ${countLabel(peak)}.` : ', none in any minute.'),
    /** The minutes with messages, newest first: the numbers behind the bars. */
    busyMinutes: minutes
      .filter((minute) => minute.messages > 0)
      .reverse()
      .map((minute) => ({ time: `${clock(minute.minute)} UTC`, messages: countLabel(minute.messages) })),
  };
}
