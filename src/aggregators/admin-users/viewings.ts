import { z } from 'zod';
import { viewingSchemas, type ViewingEvent } from '../../app/record-viewings/contract.ts';
import { parseMessage, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';

type Viewing = Recorded<ViewingEvent>;
type UsersViewing = Viewing & { readonly data: { readonly userId: string } };

const userIdSchema = z.uuid();

/**
 * Only viewings by a user: the contract lets anyone watch, and lets another writer name a
 * viewer by something other than a user id; neither belongs to an account.
 */
function parseUsersViewing(message: RawMessage): UsersViewing | undefined {
  const viewing = parseMessage(viewingSchemas, message);
  if (!viewing || viewing.data.userId === null || !userIdSchema.safeParse(viewing.data.userId).success) return undefined;
  return viewing as UsersViewing;
}

/**
 * A row per viewing, keyed by its global position, and the viewer's count moved by the rows
 * actually inserted: a replayed viewing is neither listed nor counted twice. Viewings come from
 * every video's stream, so no per-user guard could tell old from new; the row can.
 */
export const viewingsProjection: BatchProjection<UsersViewing> = {
  parse: parseUsersViewing,
  async apply(viewings, trx) {
    await trx.raw(
      `WITH inserted AS (
         INSERT INTO admin_user_viewings (global_position, user_id, video_id, viewed_at)
         SELECT * FROM unnest(?::bigint[], ?::uuid[], ?::uuid[], ?::timestamptz[])
         ON CONFLICT (global_position) DO NOTHING
         RETURNING user_id
       )
       INSERT INTO admin_users AS viewer (user_id, viewings)
       SELECT user_id, count(*) FROM inserted GROUP BY user_id ORDER BY user_id
       ON CONFLICT (user_id) DO UPDATE SET viewings = viewer.viewings + excluded.viewings`,
      [viewings.map((v) => v.globalPosition), viewings.map((v) => v.data.userId), viewings.map((v) => v.data.videoId), viewings.map((v) => v.time)],
    );
  },
};
