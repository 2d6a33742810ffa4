import { z } from 'zod';

/**
 * Where a page of results ends: the last hit's tier (3: its words in the title or the creator's
 * name, 2: elsewhere, 1: by spelling likeness),
 * its score exactly as PostgreSQL wrote it (a real, which reads back to the same value) and its id.
 */
export interface SearchPosition {
  readonly tier: number;
  readonly score: string;
  readonly videoId: string;
}

const position = z.object({
  tier: z.enum(['1', '2', '3']).transform(Number),
  // A real as PostgreSQL prints it: 0.0607927, 1e-05, 0.
  // And within a real's range: '1e99' or '1e-99' cast to real is an error of PostgreSQL's (a 500).
  score: z
    .string()
    .regex(/^\d{1,3}(?:\.\d{1,12})?(?:e[-+]?\d{1,2})?$/)
    .refine((score) => Number(score) === 0 || (Number(score) >= 1e-37 && Number(score) <= 1e37)),
  videoId: z.uuid(),
});

/** Opaque to visitors: a base64url token in `?after=`, as the catalog's (src/app/home/cursor.ts). */
export function encodeSearchCursor(at: SearchPosition): string {
  return Buffer.from(`${at.tier}~${at.score}~${at.videoId}`).toString('base64url');
}

/** Undefined for anything that is not a cursor this page made (a mangled or hand-edited link). */
export function decodeSearchCursor(value: unknown): SearchPosition | undefined {
  if (typeof value !== 'string' || value.length > 128) return undefined;
  const [tier, score, videoId, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('~');
  if (rest.length > 0) return undefined;
  const parsed = position.safeParse({ tier, score, videoId });
  return parsed.success
    ? { tier: parsed.data.tier, score: parsed.data.score, videoId: parsed.data.videoId.toLowerCase() }
    : undefined;
}
