const whole = new Intl.NumberFormat('en');

/**
 * A noun in the number a count asks for: "video" for 1, "videos" for anything else (0 too, as
 * English says "0 videos"). Irregular plurals are given: plural(n, 'try', 'tries').
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

/** A count and its noun, the count grouped by thousands: "1 video", "1,204 parked messages". */
export function counted(count: number, singular: string, pluralForm?: string): string {
  return `${whole.format(count)} ${plural(count, singular, pluralForm)}`;
}
