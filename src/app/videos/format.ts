import { counted } from '../../plural.ts';

/** A running time as players show it: 0:07, 12:03, 1:02:03; a dash when it is not known yet. */
export function durationLabel(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

export function viewsLabel(views: number): string {
  return counted(views, 'view');
}

/** What a video is called until its creator names it. */
export const UNTITLED = 'Untitled';
