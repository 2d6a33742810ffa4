/**
 * How long until someone may try again, as a person would say it: "a few seconds", "1 minute",
 * "10 minutes", "2 hours". Rounded up, so the wait is never longer than the words.
 */
export function waitInWords(seconds: number): string {
  if (seconds < 10) return 'a few seconds';
  if (seconds < 60) return `${Math.ceil(seconds)} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hours`;
}
