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

/** From the admin-streams and home-page projections (a few rows), never by counting the messages in Message DB. */
export async function loadTotals(db: Knex, pool: pg.Pool): Promise<Totals> {
  const [all, types, head, homePage] = await Promise.all([
    db('admin_categories').first<{ messages: string | null; streams: string | null; counted_up_to: string | null }>(
      db.raw('sum(message_count) AS messages'),
      db.raw('sum(stream_count) AS streams'),
      db.raw('max(last_global_position) AS counted_up_to'),
    ),
    db('admin_message_types')
      .whereIn(
        ['category', 'type'],
        Object.values(COUNTED_TYPES).map(([category, type]) => [category, type]),
      )
      .select<{ category: string; type: string; message_count: string }[]>('category', 'type', 'message_count'),
    storeHead(pool),
    db('home_page').where({ page_name: 'home' }).first<{ videos_watched: string } | undefined>('videos_watched'),
  ]);
  const countOf = ([category, type]: readonly [string, string]) =>
    Number(types.find((row) => row.category === category && row.type === type)?.message_count ?? 0);
  return {
    messages: Number(all?.messages ?? 0),
    streams: Number(all?.streams ?? 0),
    users: countOf(COUNTED_TYPES.users),
    videos: countOf(COUNTED_TYPES.videos),
    viewings: countOf(COUNTED_TYPES.viewings),
    countedViewings: Number(homePage?.videos_watched ?? 0),
    countedUpTo: Number(all?.counted_up_to ?? 0),
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
  // The database's clock, the one the store stamps messages with.
  const now = await db.raw<{ rows: { minute: Date }[] }>(`SELECT date_trunc('minute', now()) AS minute`);
  const last = now.rows[0]!.minute.getTime();
  const first = new Date(last - (MINUTES_SHOWN - 1) * 60_000);
  const rows = await db('admin_message_minutes')
    .where('minute', '>=', first)
    .select<{ minute: Date; message_count: string }[]>('minute', 'message_count');
  const counted = new Map(rows.map((row) => [row.minute.getTime(), Number(row.message_count)]));
  return Array.from({ length: MINUTES_SHOWN }, (_, n) => {
    const minute = first.getTime() + n * 60_000;
    return { minute: new Date(minute), messages: counted.get(minute) ?? 0 };
  });
}
