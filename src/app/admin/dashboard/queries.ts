import type { Knex } from 'knex';
import type pg from 'pg';
import { VIEWING_CATEGORY } from '../../../contracts/viewing.ts';
import { IDENTITY_CATEGORY } from '../../../contracts/identity.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../../../contracts/video-publishing.ts';
import { storeHead } from '../../../message-queries/counts.ts';

interface Totals {
  readonly messages: number;
  readonly streams: number;
  readonly users: number;
  readonly videos: number;
  readonly viewings: number;
  /** The home page's total: one viewing per visitor and video per window. */
  readonly countedViewings: number;
  /** How far the admin-streams projection has counted, and where the store is. */
  readonly countedUpTo: number;
  readonly storeHead: number;
}

// Each total is one message type's count: a user is a Registered, a video an accepted upload.
const COUNTED_TYPES = {
  users: [IDENTITY_CATEGORY, 'Registered'],
  videos: [VIDEO_PUBLISHING_CATEGORY, 'VideoPublishingAccepted'],
  viewings: [VIEWING_CATEGORY, 'VideoViewed'],
} as const;

/**
 * From the admin-streams and home-page projections (a few rows), never by counting the messages
 * in Message DB: one statement on each database.
 */
export async function loadTotals(db: Knex, pool: pg.Pool): Promise<Totals> {
  const pairs = Object.values(COUNTED_TYPES);
  const [projected, head] = await Promise.all([
    db.raw<{
      rows: Array<{
        messages: string | null;
        streams: string | null;
        counted_up_to: string | null;
        // json_agg gives a bigint as a JSON number.
        types: Array<{ category: string; type: string; message_count: number }> | null;
        counted_viewings: string | null;
      }>;
    }>(
      `SELECT c.messages, c.streams, c.counted_up_to,
              (SELECT json_agg(json_build_object('category', t.category, 'type', t.type, 'message_count', t.message_count))
                 FROM admin_message_types t
                WHERE (t.category, t.type) IN (${pairs.map(() => '(?, ?)').join(', ')})) AS types,
              (SELECT videos_watched FROM home_page WHERE page_name = 'home') AS counted_viewings
         FROM (SELECT sum(message_count) AS messages, sum(stream_count) AS streams,
                      max(last_global_position) AS counted_up_to
                 FROM admin_categories) c`,
      pairs.flat(),
    ),
    storeHead(pool),
  ]);
  const row = projected.rows[0];
  const types = row?.types ?? [];
  const countOf = ([category, type]: readonly [string, string]) =>
    Number(types.find((t) => t.category === category && t.type === type)?.message_count ?? 0);
  return {
    messages: Number(row?.messages ?? 0),
    streams: Number(row?.streams ?? 0),
    users: countOf(COUNTED_TYPES.users),
    videos: countOf(COUNTED_TYPES.videos),
    viewings: countOf(COUNTED_TYPES.viewings),
    countedViewings: Number(row?.counted_viewings ?? 0),
    countedUpTo: Number(row?.counted_up_to ?? 0),
    storeHead: head,
  };
}

export interface MinuteCount {
  readonly minute: Date;
  readonly messages: number;
}

const MINUTES_SHOWN = 60;

/** The last hour, minute by minute (the current one included), with the quiet minutes as zeros. */
export async function loadMessagesPerMinute(db: Knex): Promise<MinuteCount[]> {
  // The database's clock, the one the store stamps messages with, read with the minutes it bounds.
  const result = await db.raw<{ rows: Array<{ first: Date; minute: Date | null; message_count: string | null }> }>(
    `WITH since AS (SELECT date_trunc('minute', now()) - make_interval(mins => ?) AS first)
     SELECT since.first, m.minute, m.message_count
       FROM since LEFT JOIN admin_message_minutes m ON m.minute >= since.first`,
    [MINUTES_SHOWN - 1],
  );
  const first = result.rows[0]!.first.getTime();
  const counted = new Map(
    result.rows.flatMap((row) => (row.minute ? [[row.minute.getTime(), Number(row.message_count)] as const] : [])),
  );
  return Array.from({ length: MINUTES_SHOWN }, (_, n) => {
    const minute = first + n * 60_000;
    return { minute: new Date(minute), messages: counted.get(minute) ?? 0 };
  });
}
