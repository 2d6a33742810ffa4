/** A moment in the log: just after the message at a global position, or at a time (UTC). */
export type Point = { readonly kind: 'position'; readonly globalPosition: number } | { readonly kind: 'time'; readonly time: Date };

const POSITION = /^[0-9]{1,15}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// A time with no zone is read as UTC, the store's own clock (datetime-local fields send that).
const NO_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
const WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * Reads what an operator typed: a global position (digits), a date (the end of that day, so "as
 * of 2026-11-24" includes all of it), or a date and time. Undefined when it is neither.
 */
export function parsePoint(text: string): Point | undefined {
  const value = text.trim();
  if (POSITION.test(value)) return { kind: 'position', globalPosition: Number(value) };
  let time: number;
  if (DATE_ONLY.test(value)) time = Date.parse(`${value}T00:00:00Z`) + DAY_MS - 1;
  else if (NO_ZONE.test(value)) time = Date.parse(`${value.replace(' ', 'T')}Z`);
  else if (WITH_ZONE.test(value)) time = Date.parse(value.replace(' ', 'T'));
  else return undefined;
  if (!Number.isFinite(time)) return undefined;
  // Round-trip the date so "2026-02-31" is refused rather than rolled into March.
  const day = value.slice(0, 10);
  if (new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) !== day) return undefined;
  return { kind: 'time', time: new Date(time) };
}

/** Is a message at this global position and time part of the log as of `point`? */
export function isWithin(point: Point, message: { readonly globalPosition: number; readonly time: Date }): boolean {
  return point.kind === 'position' ? message.globalPosition <= point.globalPosition : message.time.getTime() <= point.time.getTime();
}

export function describePoint(point: Point): string {
  return point.kind === 'position' ? `global position ${point.globalPosition}` : `${point.time.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '').replace('Z', '')} UTC`;
}
