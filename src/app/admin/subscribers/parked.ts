import type pg from 'pg';
import { streamName } from '../../../message-store/index.ts';

// Where the subscription engine parks a component's messages (design §3: deadLetter-<subscriberId>).
const DEAD_LETTER_CATEGORY = 'deadLetter';

/**
 * Messages a component parked and nobody has dealt with since: for each message, the last entry
 * about it in the dead-letter stream is a Parked (a Replayed or a discard after it settles it;
 * a replay that fails again parks it anew). Read through the stream's own index.
 */
export async function outstandingParked(pool: pg.Pool, subscriberId: string): Promise<number> {
  const result = await pool.query<{ parked: string }>(
    `SELECT count(*) AS parked FROM (
       SELECT DISTINCT ON (subject) type FROM (
         SELECT type, position, coalesce(data->'message'->>'id', data->>'messageId') AS subject
           FROM messages WHERE stream_name = $1
       ) entries
        WHERE subject IS NOT NULL
        ORDER BY subject, position DESC
     ) last WHERE type = 'Parked'`,
    [streamName(DEAD_LETTER_CATEGORY, subscriberId)],
  );
  return Number(result.rows[0]?.parked ?? 0);
}
