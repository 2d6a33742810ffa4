import type { Knex } from 'knex';
import { IDENTITY_CATEGORY } from '../../contracts/identity.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { RawMessage } from '../../message-store/index.ts';
import { lockEachInOrder } from '../../db/advisory-locks.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import type { ProjectionDefinition } from '../definition.ts';
import { parseProfileChange, type ProfileChange } from '../user-profiles/index.ts';
import { foldByVideo, parseCatalogEvent, type CatalogEvent, type RowState } from '../videos/catalog.ts';
import { batchColumns, setTouched, TOUCHED_CTE, touchedBindings } from '../videos/touched-columns.ts';
import { rewriteRanks } from './ranks.ts';
import { keepingWordsCounted, rewriteTitleWords } from './words.ts';

/** Renaming one replays its category: safe (the rows are guarded) but slow. */
export const VIDEO_SEARCH_SUBSCRIBER_IDS = {
  videos: 'aggregators:video-search',
  creators: 'aggregators:video-search:creators',
} as const;

/**
 * The two parts write the same rows: the videos part a video's row (with its creator's name as
 * video_search_creators has it), the creators part every row of a creator who is renamed. Each
 * takes a transaction-scoped advisory lock per creator first, in id order, so a row made by one
 * while the other renames its creator cannot miss the new name (neither would see the other's
 * uncommitted write). One lock space for both; a rebuild's shadow apply waits on live's too.
 */
async function lockCreators(trx: Knex.Transaction, ownerIds: Iterable<string | null | undefined>): Promise<void> {
  const ids = [...ownerIds].filter((id): id is string => typeof id === 'string').map((id) => id.toLowerCase());
  await lockEachInOrder(trx, { prefix: 'video-search:' }, ids);
}

/** The columns of video_search the catalog's fold sets, with their SQL types. */
const SEARCH_COLUMN_TYPES = {
  owner_id: 'uuid',
  title: 'text',
  description: 'text',
  status: 'text',
  visibility: 'text',
  published_at: 'timestamptz',
} as const;
type SearchColumn = keyof typeof SEARCH_COLUMN_TYPES;

/** What the catalog's fold leaves behind, in this table's columns; a tombstone clears the text. */
function searchColumns(
  columns: ReturnType<typeof foldByVideo>[number]['columns'],
): Partial<Record<SearchColumn, unknown>> {
  const out: Partial<Record<SearchColumn, unknown>> = {};
  if (columns.owner_id !== undefined) out.owner_id = columns.owner_id;
  if (columns.name !== undefined) out.title = columns.name;
  if (columns.description !== undefined) out.description = columns.description;
  if (columns.status !== undefined) out.status = columns.status;
  if (columns.visibility !== undefined) out.visibility = columns.visibility;
  if (columns.published_at !== undefined) out.published_at = columns.published_at;
  return out;
}

/**
 * A batch's videos in one upsert, in video id order (as foldByVideo gives them), with the
 * guards the catalog writes `videos` with. A new row takes what its events set; an existing one
 * only those columns (touched-columns.ts). The creator's name is read from
 * video_search_creators at the write.
 */
async function writeSearchRows(trx: Knex.Transaction, changes: ReturnType<typeof foldByVideo>): Promise<void> {
  const { names, typed, inserted } = batchColumns(SEARCH_COLUMN_TYPES, { description: `''` });
  await trx.raw(
    `WITH ${TOUCHED_CTE}
     INSERT INTO video_search AS s (video_id, ${names.join(', ')}, publishing_position, creator_name)
     SELECT c.video_id, ${inserted}, c.publishing_position,
            (SELECT display_name FROM video_search_creators WHERE user_id = c.owner_id)
       FROM jsonb_to_recordset(?::jsonb) AS c(video_id uuid, ${typed}, publishing_position bigint)
      ORDER BY c.video_id
     ON CONFLICT (video_id) DO UPDATE
        SET ${setTouched(names, 's')}, publishing_position = excluded.publishing_position,
            creator_name = (SELECT display_name FROM video_search_creators WHERE user_id = coalesce(excluded.owner_id, s.owner_id))
      WHERE (s.publishing_position IS NULL OR s.publishing_position < excluded.publishing_position)
        AND s.status IS DISTINCT FROM 'deleted'`,
    touchedBindings(
      changes.map(({ videoId, columns, position }) => ({ videoId, set: searchColumns(columns), position })),
    ),
  );
}

/**
 * The video side of video_search: the catalog's own fold of the publishing events (the same
 * published_at, the same tombstone for a deleted video), written a batch at a time as
 * src/aggregators/videos/catalog.ts writes `videos`.
 */
const videosPart: BatchProjection<CatalogEvent> = {
  parse: parseCatalogEvent,
  async apply(events, trx) {
    const ids = [...new Set(events.map((event) => event.data.videoId.toLowerCase()))];
    const known = await trx('video_search')
      .whereIn('video_id', ids)
      .select<(RowState & { video_id: string; owner_id: string | null })[]>(
        'video_id',
        'owner_id',
        'status',
        'visibility',
        'published_at',
        'publishing_position',
      );
    const rows = new Map(known.map((row) => [row.video_id, row]));
    const changes = foldByVideo(events, rows);
    await lockCreators(trx, [...known.map((row) => row.owner_id), ...changes.map((change) => change.columns.owner_id)]);
    await keepingWordsCounted(trx, { videoIds: ids }, async () => {
      if (changes.length > 0) await writeSearchRows(trx, changes);
      await rewriteTitleWords(trx, ids);
      await rewriteRanks(trx, { videoIds: ids });
    });
  },
};

interface CreatorChange {
  readonly change: ProfileChange;
  readonly position: number;
}

/**
 * The creator side: each user's display name (opened with their key, as user-profiles opens it),
 * guarded by its event's position, copied onto every row of theirs. An erasure forgets the name
 * (a replay cannot bring it back: it no longer opens).
 */
const creatorsPart: BatchProjection<CreatorChange> = {
  async parse(message: RawMessage, trx: Knex.Transaction) {
    const change = await parseProfileChange(message, trx);
    return change && change.kind !== 'handle' ? { change, position: message.globalPosition } : undefined;
  },
  async apply(changes, trx) {
    await lockCreators(
      trx,
      changes.map(({ change }) => change.userId),
    );
    const ownerIds = [...new Set(changes.map(({ change }) => change.userId.toLowerCase()))];
    await keepingWordsCounted(trx, { ownerIds }, async () => {
      // In stream order: a later name lands after an earlier one.
      for (const { change, position } of changes) {
        const userId = change.userId.toLowerCase();
        if (change.kind === 'erased') {
          await trx('video_search_creators').where({ user_id: userId }).delete();
          await trx('video_search')
            .where({ owner_id: userId })
            .whereNotNull('creator_name')
            .update({ creator_name: null });
          continue;
        }
        if (change.kind !== 'registered' && change.kind !== 'name') continue;
        const taken = await trx('video_search_creators')
          .insert({ user_id: userId, display_name: change.displayName, name_position: position })
          .onConflict('user_id')
          .merge(['display_name', 'name_position'])
          .where('video_search_creators.name_position', '<', position)
          .returning('user_id');
        if (taken.length === 0) continue;
        await trx('video_search')
          .where({ owner_id: userId })
          .whereRaw('creator_name IS DISTINCT FROM ?', [change.displayName])
          .update({ creator_name: change.displayName });
      }
      await rewriteRanks(trx, { ownerIds });
    });
  },
};

/**
 * video_search: what /search reads: each video's title, description and creator's name, with the
 * weighted text search vector and the trigram text PostgreSQL derives from them (generated columns,
 * migrations/20261209100000_video_search.ts), and whether it is listed (published, public, neither
 * taken down nor deleted). docs/search.md.
 */
export const videoSearchDefinition = {
  name: 'video-search',
  tables: ['video_search', 'video_search_creators', 'video_search_words', 'video_title_words', 'video_search_ranks'],
  parts: [
    {
      subscriberId: VIDEO_SEARCH_SUBSCRIBER_IDS.videos,
      category: VIDEO_PUBLISHING_CATEGORY,
      projection: () => videosPart,
    },
    { subscriberId: VIDEO_SEARCH_SUBSCRIBER_IDS.creators, category: IDENTITY_CATEGORY, projection: () => creatorsPart },
  ],
} as const satisfies ProjectionDefinition;
