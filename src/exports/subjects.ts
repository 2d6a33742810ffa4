import type pg from 'pg';
import { positionAtTime } from '../message-queries/position-at-time.ts';
import type { ExportScan } from '../message-queries/export-batches.ts';
import {
  categoryCondition,
  traceCondition,
  userCondition,
  videoCondition,
} from '../message-queries/export-conditions.ts';

/** What one export covers: named as ExportMade names it, and the scan that reads it. */
export interface ExportSubject {
  readonly kind: 'user' | 'video' | 'trace' | 'category';
  readonly subject: string;
  readonly filename: string;
  readonly scan: ExportScan;
}

// For a file name: anything but letters, digits, dot, dash and underscore becomes _.
const fileSafe = (text: string): string => text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);

/**
 * Everything about a user: every message in a stream whose id is theirs (identity-<id>,
 * authentication-<id>, compound ids <id>+… too) and every message whose metadata names them as
 * its cause. Neither is indexed, so this reads the whole store, in batches: about a second
 * or two per million messages.
 */
export function userExport(userId: string, upTo: number): ExportSubject {
  return {
    kind: 'user',
    subject: userId,
    filename: `user-${userId}`,
    scan: { ...userCondition(userId), after: 0, upTo },
  };
}

/**
 * Everything about a video: every message in a stream whose id is its own (videoPublishing-<id>,
 * its commands, viewing-<id>). Read from the whole store, as a user's history is.
 */
export function videoExport(videoId: string, upTo: number): ExportSubject {
  return {
    kind: 'video',
    subject: videoId,
    filename: `video-${videoId}`,
    scan: { ...videoCondition(videoId), after: 0, upTo },
  };
}

/** Every message of one trace, from the whole store (a page may look only near a position; an export is complete). */
export function traceExport(traceId: string, upTo: number): ExportSubject {
  return {
    kind: 'trace',
    subject: traceId,
    filename: `trace-${fileSafe(traceId)}`,
    scan: { ...traceCondition(traceId), after: 0, upTo },
  };
}

/**
 * A category over a time range, along Message DB's category index: the range becomes global
 * positions (see src/message-queries/position-at-time.ts), and the exact times are checked as well.
 */
export async function categoryExport(
  pool: pg.Pool,
  category: string,
  range: { from?: Date; to?: Date },
  head: number,
): Promise<ExportSubject> {
  const after = range.from === undefined ? 0 : ((await positionAtTime(pool, range.from)) ?? 1) - 1;
  const before = range.to === undefined ? head + 1 : ((await positionAtTime(pool, range.to)) ?? head + 1);
  const span = `${range.from?.toISOString() ?? 'start'}..${range.to?.toISOString() ?? 'now'}`;
  return {
    kind: 'category',
    subject: `${category} ${span}`,
    filename: `category-${fileSafe(category)}-${fileSafe(span)}`,
    scan: { ...categoryCondition(category, range), after, upTo: Math.min(head, before - 1) },
  };
}
