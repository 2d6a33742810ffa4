import { z } from 'zod';

/** Where a catalog page ends: the last video's publishing time (µs since the epoch, exact) and id. */
export interface CatalogPosition {
  readonly publishedMicros: string;
  readonly videoId: string;
}

// Up to 17 digits: any time this site will see, and far inside what PostgreSQL can add to the epoch.
const position = z.object({ publishedMicros: z.string().regex(/^\d{1,17}$/), videoId: z.uuid() });

/** Opaque to visitors: a base64url token in `?after=`, so nobody builds on its shape. */
export function encodeCursor(at: CatalogPosition): string {
  return Buffer.from(`${at.publishedMicros}.${at.videoId}`).toString('base64url');
}

/** Undefined for anything that is not a cursor this page made (a mangled or hand-edited link). */
export function decodeCursor(value: unknown): CatalogPosition | undefined {
  if (typeof value !== 'string' || value.length > 128) return undefined;
  const [publishedMicros, videoId, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('.');
  if (rest.length > 0) return undefined;
  const parsed = position.safeParse({ publishedMicros, videoId });
  return parsed.success
    ? { publishedMicros: parsed.data.publishedMicros, videoId: parsed.data.videoId.toLowerCase() }
    : undefined;
}

/** Where a page of the week's most watched ends: the last video's views in the week and its id. */
export interface RankingPosition {
  readonly weekViews: string;
  readonly videoId: string;
}

const rankingPosition = z.object({ weekViews: z.string().regex(/^\d{1,17}$/), videoId: z.uuid() });

/** Opaque to visitors, as encodeCursor: `?after=` on /popular. */
export function encodeRankingCursor(at: RankingPosition): string {
  return Buffer.from(`${at.weekViews}.${at.videoId}`).toString('base64url');
}

/** Undefined for anything that is not a cursor /popular made. */
export function decodeRankingCursor(value: unknown): RankingPosition | undefined {
  if (typeof value !== 'string' || value.length > 128) return undefined;
  const [weekViews, videoId, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('.');
  if (rest.length > 0) return undefined;
  const parsed = rankingPosition.safeParse({ weekViews, videoId });
  return parsed.success ? { weekViews: parsed.data.weekViews, videoId: parsed.data.videoId.toLowerCase() } : undefined;
}
