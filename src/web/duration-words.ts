import { counted } from '../plural.ts';

const count = (n: number, unit: string): string => counted(n, unit);

/**
 * A wait as a person says it, rounded up so nobody comes back too early: "40 seconds",
 * "1 minute", "4 minutes", "2 hours".
 */
export function durationInWords(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return count(whole, 'second');
  const minutes = Math.ceil(whole / 60);
  if (minutes <= 90) return count(minutes, 'minute');
  return count(Math.ceil(minutes / 60), 'hour');
}
