/** A moment in the log: just after the message at a global position, or at a time (UTC). */
export type Point =
  { readonly kind: 'position'; readonly globalPosition: number } | { readonly kind: 'time'; readonly time: Date };

const POSITION = /^[0-9]{1,15}$/;
// YYYY-MM-DD, optionally with a time (T or a space, seconds and milliseconds optional) and a zone.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const ZONE = /^([+-])(\d{2}):?(\d{2})$/;
const DAY_MS = 86_400_000;

interface TimeOptions {
  /** What a date alone means: its first millisecond (a range's start) or its last (as of that day, all of it). */
  readonly day?: 'start' | 'end';
  /** Accept a zone (Z, +02:00)? Without one a time is UTC, the store's own clock (datetime-local fields send that). */
  readonly zones?: boolean;
}

/**
 * The one reader of a date or time an operator typed, for every admin form that takes one:
 * strict, so that what is refused is refused here (a 400 that says so) rather than by
 * PostgreSQL (a 500) or by silent arithmetic. A real calendar day ("2026-02-31" is not rolled
 * into March), hours to 23, minutes and seconds to 59, and year 1 to 9999 (PostgreSQL has no
 * year 0) even after a zone moves it. Undefined for anything else.
 */
export function parseTime(text: string, { day = 'start', zones = true }: TimeOptions = {}): Date | undefined {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, yearText, monthText, dayText, hourText, minuteText, secondText = '0', msText = '0', zone] = match;
  const [year, month, date] = [Number(yearText), Number(monthText), Number(dayText)];
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0 to 99 as 1900 to 1999.
  const midnight = new Date(0);
  midnight.setUTCFullYear(year, month - 1, date);
  if (
    year < 1 ||
    midnight.getUTCFullYear() !== year ||
    midnight.getUTCMonth() !== month - 1 ||
    midnight.getUTCDate() !== date
  )
    return undefined;
  let time: number;
  if (hourText === undefined) time = midnight.getTime() + (day === 'end' ? DAY_MS - 1 : 0);
  else {
    const [hour, minute, second] = [Number(hourText), Number(minuteText), Number(secondText)];
    if (hour > 23 || minute > 59 || second > 59) return undefined;
    time = midnight.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + Number(msText.padEnd(3, '0'));
  }
  if (zone !== undefined && zone !== 'Z') {
    const [, sign, zoneHours, zoneMinutes] = ZONE.exec(zone)!;
    if (!zones || Number(zoneHours) > 23 || Number(zoneMinutes) > 59) return undefined;
    time -= (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes)) * 60_000;
  } else if (zone === 'Z' && !zones) return undefined;
  const result = new Date(time);
  // Four digits either way, as typed and as links write it back (toISOString turns 10000 into +010000).
  return result.getUTCFullYear() >= 1 && result.getUTCFullYear() <= 9999 ? result : undefined;
}

/**
 * Reads what an operator typed: a global position (digits), a date (the end of that day, so "as
 * of 2026-11-24" includes all of it), or a date and time. Undefined when it is neither.
 */
export function parsePoint(text: string): Point | undefined {
  const value = text.trim();
  if (POSITION.test(value)) return { kind: 'position', globalPosition: Number(value) };
  const time = parseTime(value, { day: 'end' });
  return time && { kind: 'time', time };
}

/** Is a message at this global position and time part of the log as of `point`? */
export function isWithin(point: Point, message: { readonly globalPosition: number; readonly time: Date }): boolean {
  return point.kind === 'position'
    ? message.globalPosition <= point.globalPosition
    : message.time.getTime() <= point.time.getTime();
}

export function describePoint(point: Point): string {
  return point.kind === 'position'
    ? `global position ${point.globalPosition}`
    : `${point.time
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, '')
        .replace('Z', '')} UTC`;
}
