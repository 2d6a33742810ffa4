import type { Knex } from 'knex';
import type pg from 'pg';
import { authenticationStreamName } from '../../../contracts/authentication.ts';
import { viewingStreamName } from '../../../contracts/viewing.ts';
import { identityCommandStreamName, identityStreamName } from '../../../contracts/identity.ts';
import { videoPublishingStreamName } from '../../../contracts/video-publishing.ts';
import { newestInStreams } from '../../../message-queries/newest-in-streams.ts';

/** One thing that happened to a user: a message, found in their streams or through the admin-users rows. */
export interface TimelineEntry {
  readonly globalPosition: number;
  readonly time: Date;
  readonly type: string;
  readonly streamName: string;
  /** A video's name, or the video watched (and whether the viewing counted). */
  readonly about: string | undefined;
}

interface TimelinePage {
  readonly entries: readonly TimelineEntry[];
  /** The global position the next (older) page starts below. */
  readonly next: number | undefined;
}

/** Their own streams: identity, its commands and authentication. */
async function fromTheirStreams(
  pool: pg.Pool,
  userId: string,
  before: number | undefined,
  limit: number,
): Promise<TimelineEntry[]> {
  const streams = [identityStreamName(userId), identityCommandStreamName(userId), authenticationStreamName(userId)];
  return (await newestInStreams(pool, streams, before, limit)).map((heading) => ({ ...heading, about: undefined }));
}

interface RowEntry {
  kind: 'video' | 'viewing';
  global_position: string;
  video_id: string;
  name: string | null;
  at: Date;
  counted: boolean | null;
}

/**
 * Their videos' acceptances and their viewings, from the rows admin-users keeps of them (indexed
 * by user, newest first): one statement, each table read along its own index.
 */
async function fromTheirRows(
  db: Knex,
  userId: string,
  before: number | undefined,
  limit: number,
): Promise<TimelineEntry[]> {
  const below = before === undefined ? '' : 'AND global_position < ?';
  const newest = (table: string, columns: string) =>
    `(SELECT ${columns} FROM ${table} WHERE user_id = ? ${below} ORDER BY global_position DESC LIMIT ?)`;
  const bindings = before === undefined ? [userId, limit] : [userId, before, limit];
  const result = await db.raw<{ rows: RowEntry[] }>(
    `${newest('admin_user_videos', `'video' AS kind, global_position, video_id, name, accepted_at AS at, NULL::boolean AS counted`)}
     UNION ALL
     ${newest('admin_user_viewings', `'viewing', global_position, video_id, NULL, viewed_at, counted`)}`,
    [...bindings, ...bindings],
  );
  return result.rows.map((row) =>
    row.kind === 'video'
      ? {
          globalPosition: Number(row.global_position),
          time: row.at,
          type: 'VideoPublishingAccepted',
          streamName: videoPublishingStreamName(row.video_id),
          about: row.name ?? row.video_id,
        }
      : {
          globalPosition: Number(row.global_position),
          time: row.at,
          type: 'VideoViewed',
          streamName: viewingStreamName(row.video_id),
          about: row.counted
            ? row.video_id
            : `${row.video_id}, not counted (within the window of one they had counted)`,
        },
  );
}

/**
 * Everything about a user, newest first, in keyset pages by global position: their identity,
 * command and authentication streams, the videos they uploaded and what they watched. Each
 * source gives at most a page, so a page costs the same however long their history.
 */
export async function loadTimeline(
  db: Knex,
  pool: pg.Pool,
  userId: string,
  before: number | undefined,
  pageSize: number,
): Promise<TimelinePage> {
  const [theirs, rows] = await Promise.all([
    fromTheirStreams(pool, userId, before, pageSize + 1),
    fromTheirRows(db, userId, before, pageSize + 1),
  ]);
  const merged = [...theirs, ...rows].sort((a, b) => b.globalPosition - a.globalPosition);
  const entries = merged.slice(0, pageSize);
  return { entries, next: merged.length > pageSize ? entries.at(-1)?.globalPosition : undefined };
}
