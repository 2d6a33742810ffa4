/** Links from one admin section into another: each section's URL, spelled once for the others. */

/** An entity's as-of page, as of today (the whole day: everything up to now), to change from there. */
export function asOfHref(kind: 'user' | 'video', id: string, now = new Date()): string {
  return `/admin/as-of?${new URLSearchParams({ kind, id, at: now.toISOString().slice(0, 10) }).toString()}`;
}

/** The exports page with a user's or a video's id already in its form. */
export function exportHref(kind: 'user' | 'video', id: string): string {
  return `/admin/exports?${new URLSearchParams({ [kind === 'user' ? 'userId' : 'videoId']: id }).toString()}#export-${kind}-title`;
}
