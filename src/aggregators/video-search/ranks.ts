import type { Knex } from 'knex';
import type { SearchRows } from './words.ts';

/**
 * Brings video_search_ranks in line with the chosen rows of video_search: for each listed video,
 * each lexeme of its title and creator's name (`head`) as a one-word query with that query's rank
 * over the whole document and over the head alone; nothing for a video not listed. Only rows that
 * differ are deleted, inserted or changed (an upsert would lock and write every row it meets,
 * changed or not), so a batch that leaves a video's words alone writes nothing for it. Called after the
 * rows are written, in the same transaction, under the creators' locks.
 */
export async function rewriteRanks(trx: Knex.Transaction, rows: SearchRows): Promise<void> {
  const [column, ids] = 'videoIds' in rows ? ['video_id', rows.videoIds] : ['owner_id', rows.ownerIds];
  if (ids.length === 0) return;
  await trx.raw(
    `WITH chosen AS (
       SELECT s.video_id, s.listed, s.head, s.document FROM video_search s WHERE s.?? = ANY(?::uuid[])
     ),
     wanted AS (
       SELECT t.term, ts_rank(c.document, t.term) AS score, c.video_id, ts_rank(c.head, t.term) AS head_score
       FROM chosen c, unnest(tsvector_to_array(c.head)) l(lexeme), video_search_term(l.lexeme) t(term)
       WHERE c.listed
     ),
     gone AS (
       DELETE FROM video_search_ranks r
       WHERE r.video_id IN (SELECT video_id FROM chosen)
         AND NOT EXISTS (SELECT 1 FROM wanted w WHERE (w.term, w.score, w.video_id) = (r.term, r.score, r.video_id))
     ),
     changed AS (
       UPDATE video_search_ranks r SET head_score = w.head_score
         FROM wanted w
        WHERE (w.term, w.score, w.video_id) = (r.term, r.score, r.video_id) AND r.head_score IS DISTINCT FROM w.head_score
     )
     INSERT INTO video_search_ranks (term, score, video_id, head_score)
     SELECT term, score, video_id, head_score FROM wanted ORDER BY term
     ON CONFLICT DO NOTHING`,
    [column, ids.map((id) => id.toLowerCase())],
  );
}
