import type { Knex } from 'knex';
import { applyCountingRule, windowKey, type CountableViewing, type LastCounted } from './rule.ts';

/**
 * The tables that keep, for one projection, when each visitor's viewing of each video last
 * counted. Each projection has its own (its rebuild replaces only its own tables), with the same
 * shape: video_id, visitor_key, counted_at (migrations/20261206000020_viewing_windows.ts).
 */
export type WindowTable = 'home_page_viewers' | 'video_viewers' | 'admin_user_viewers' | 'popular_video_viewers';

async function loadWindows(
  trx: Knex.Transaction,
  table: WindowTable,
  viewings: readonly CountableViewing[],
): Promise<Map<string, LastCounted>> {
  const pairs = new Map<string, { videoId: string; visitorKey: string }>();
  for (const { videoId, visitorKey } of viewings)
    if (visitorKey !== null) pairs.set(windowKey(videoId, visitorKey), { videoId, visitorKey });
  if (pairs.size === 0) return new Map();
  const wanted = [...pairs.values()];
  const rows = await trx.raw<{ rows: Array<{ video_id: string; visitor_key: string; counted_at: Date }> }>(
    `SELECT w.video_id, w.visitor_key, w.counted_at
       FROM ?? AS w
       JOIN unnest(?::uuid[], ?::text[]) AS wanted (video_id, visitor_key) USING (video_id, visitor_key)`,
    [table, wanted.map((pair) => pair.videoId), wanted.map((pair) => pair.visitorKey)],
  );
  return new Map(
    rows.rows.map((row) => [
      windowKey(row.video_id, row.visitor_key),
      { videoId: row.video_id, visitorKey: row.visitor_key, countedAt: row.counted_at },
    ]),
  );
}

async function saveWindows(trx: Knex.Transaction, table: WindowTable, moved: readonly LastCounted[]): Promise<void> {
  if (moved.length === 0) return;
  await trx.raw(
    `INSERT INTO ?? AS w (video_id, visitor_key, counted_at)
     SELECT * FROM unnest(?::uuid[], ?::text[], ?::timestamptz[]) ORDER BY 1, 2
     ON CONFLICT (video_id, visitor_key) DO UPDATE SET counted_at = excluded.counted_at`,
    [
      table,
      moved.map((window) => window.videoId),
      moved.map((window) => window.visitorKey),
      moved.map((window) => window.countedAt),
    ],
  );
}

/**
 * Decides which of `viewings` count (applyCountingRule) against the windows kept in `table`, and
 * moves those windows, in the caller's transaction. A viewing judged again (a replay) is never
 * past its own window, so it moves nothing and does not count, unless it names no visitor: not
 * counting those twice is each projection's own guard (its position, a row's position, a row per
 * viewing).
 */
export async function countViewings(
  trx: Knex.Transaction,
  table: WindowTable,
  viewings: readonly CountableViewing[],
  windowMs: number,
): Promise<boolean[]> {
  if (viewings.length === 0) return [];
  // As the uuid column gives them back, so a window read from the table is found by its key.
  const normalised = viewings.map((viewing) => ({ ...viewing, videoId: viewing.videoId.toLowerCase() }));
  const { counted, moved } = applyCountingRule(normalised, await loadWindows(trx, table, normalised), windowMs);
  await saveWindows(trx, table, moved);
  return counted;
}
