/** How the admin pages I build (dashboard, users, subscribers, streams) write numbers and times. */

const whole = new Intl.NumberFormat('en');

export function countLabel(count: number): string {
  return whole.format(count);
}

/** `2026-11-30 09:15:02.123 UTC`, or a dash when there is no time. */
export function timeLabel(time: Date | null | undefined): string {
  return time ? `${time.toISOString().replace('T', ' ').replace('Z', '')} UTC` : '—';
}

/** A duration as an operator reads it at a glance: 0 s, 42 s, 7 min 3 s, 2 h 5 min, 3 d 4 h. */
export function ageLabel(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export const messageHref = (globalPosition: number): string => `/admin/messages/${globalPosition}`;
export const streamMessagesHref = (streamName: string): string =>
  `/admin/messages?stream=${encodeURIComponent(streamName)}`;
