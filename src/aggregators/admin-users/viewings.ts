import { z } from 'zod';
import { viewingSchemas, type ViewingEvent } from '../../contracts/viewing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import { countViewings } from '../viewing-counts/windows.ts';

type Viewing = Recorded<ViewingEvent>;
type UsersViewing = Viewing & { readonly data: { readonly userId: string } };

const userIdSchema = z.uuid();

/**
 * Only viewings by a user: the contract lets anyone watch, and lets another writer name a
 * viewer by something other than a user id; neither belongs to an account.
 */
function parseUsersViewing(message: RawMessage): UsersViewing | undefined {
  const viewing = parseMessage(viewingSchemas, message);
  if (!viewing || viewing.data.userId === null || !userIdSchema.safeParse(viewing.data.userId).success)
    return undefined;
  return viewing as UsersViewing;
}

/**
 * A row per viewing, keyed by its global position and saying whether it counted (the counting
 * rule, one per visitor and video per window, with the windows in admin_user_viewers), and the
 * viewer's recorded and counted totals moved by the rows actually inserted: a replayed viewing is
 * neither listed nor counted twice (and, judged again, moves no window). Viewings come from every
 * video's stream, so no per-user guard could tell old from new; the row can.
 */
export function viewingsProjection(viewingCountWindowMs: number): BatchProjection<UsersViewing> {
  return {
    parse: parseUsersViewing,
    async apply(viewings, trx) {
      const counted = await countViewings(
        trx,
        'admin_user_viewers',
        viewings.map((viewing) => ({ ...viewing.data, time: viewing.time })),
        viewingCountWindowMs,
      );
      await trx.raw(
        `WITH inserted AS (
           INSERT INTO admin_user_viewings (global_position, user_id, video_id, viewed_at, counted)
           SELECT * FROM unnest(?::bigint[], ?::uuid[], ?::uuid[], ?::timestamptz[], ?::boolean[])
           ON CONFLICT (global_position) DO NOTHING
           RETURNING user_id, counted
         )
         INSERT INTO admin_users AS viewer (user_id, viewings, counted_viewings)
         SELECT user_id, count(*), count(*) FILTER (WHERE counted) FROM inserted GROUP BY user_id ORDER BY user_id
         ON CONFLICT (user_id) DO UPDATE
            SET viewings = viewer.viewings + excluded.viewings, counted_viewings = viewer.counted_viewings + excluded.counted_viewings`,
        [
          viewings.map((v) => v.globalPosition),
          viewings.map((v) => v.data.userId),
          viewings.map((v) => v.data.videoId),
          viewings.map((v) => v.time),
          counted,
        ],
      );
    },
  };
}
