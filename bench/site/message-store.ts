import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * The target's message store seen from outside, as another program sees it: a plain connection
 * that calls Message DB's functions and knows nothing of the app's own wake-ups.
 */
export interface ViewingStore {
  /** The newest global position now: viewings are counted after it. */
  head(): Promise<number>;
  /** The newest viewing's global position: a subscriber of viewings that stands there has them all. */
  lastViewing(): Promise<number>;
  /** VideoViewed messages in the viewing category after `position`. */
  viewingsAfter(position: number): Promise<number>;
  /** One viewing, by write_message (another program recording one). */
  writeViewing(): Promise<void>;
  /** `count` viewings in one statement and so one commit. */
  writeViewings(count: number): Promise<void>;
  /** `count` messages in one statement, in a category of their own that only a reader of every category reads. */
  writeBacklog(count: number): Promise<void>;
  close(): Promise<void>;
}

export function openViewingStore(url: string): ViewingStore {
  const pool = new pg.Pool({ connectionString: url, options: '-c search_path=message_store,public', max: 2 });
  return {
    async head() {
      const result = await pool.query<{ head: string }>(
        'SELECT coalesce(max(global_position), 0) AS head FROM messages',
      );
      return Number(result.rows[0]?.head ?? 0);
    },
    async lastViewing() {
      const result = await pool.query<{ last: string }>(
        `SELECT coalesce(max(global_position), 0) AS last FROM messages WHERE category(stream_name) = 'viewing'`,
      );
      return Number(result.rows[0]?.last ?? 0);
    },
    async viewingsAfter(position) {
      // Message DB's category index covers (category, global_position): no scan of the table.
      const result = await pool.query<{ count: string }>(
        `SELECT count(*) AS count FROM messages WHERE category(stream_name) = 'viewing' AND global_position > $1 AND type = 'VideoViewed'`,
        [position],
      );
      return Number(result.rows[0]?.count ?? 0);
    },
    async writeViewing() {
      const videoId = randomUUID();
      await pool.query(
        `SELECT write_message($1, $2, 'VideoViewed', jsonb_build_object('videoId', $3::text, 'userId', NULL))`,
        [randomUUID(), `viewing-${videoId}`, videoId],
      );
    },
    async writeViewings(count) {
      await pool.query(
        `SELECT write_message(gen_random_uuid()::text, 'viewing-' || video_id, 'VideoViewed',
                              jsonb_build_object('videoId', video_id, 'userId', NULL), '{}'::jsonb)
           FROM (SELECT gen_random_uuid()::text AS video_id FROM generate_series(1, $1)) AS videos`,
        [count],
      );
    },
    async writeBacklog(count) {
      await pool.query(
        `SELECT write_message(gen_random_uuid()::text, 'benchBacklog-' || gen_random_uuid()::text, 'BacklogWritten', '{}'::jsonb)
           FROM generate_series(1, $1)`,
        [count],
      );
    },
    close: () => pool.end(),
  };
}
