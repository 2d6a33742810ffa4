import { migrationSource } from '../../migrations/index.ts';
import { rewriteRanks } from '../../src/aggregators/video-search/ranks.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { videoSearchRow } from '../fixtures/search-videos.ts';

// The migration that keeps each word's rank for one-word searches, on a database whose
// video_search already has rows: down, then up again, writes them as the projection would.

scopedTest(
  'video search ranks migration: up ranks the words of the videos already listed, as the projection does, nothing of the rest',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    await db.migrate.down({ migrationSource, name: '20261212100000_video_search_ranks' });
    t.notOk(await db.schema.hasTable('video_search_ranks'), 'down: the table is gone');
    const listed = { ...videoSearchRow('Café engines, engines', 'public'), description: 'Engines all the way down' };
    const draft = videoSearchRow('Secret engines', 'draft');
    await db('video_search').insert([listed, draft]);
    await db.migrate.latest({ migrationSource });
    const ranks = () =>
      db('video_search_ranks')
        .orderByRaw('video_id, term::text')
        .select(
          db.raw('term::text AS term'),
          db.raw('score::text AS score'),
          'video_id',
          db.raw('head_score::text AS head_score'),
        );
    const migrated = await ranks();
    t.deepEqual(
      migrated.map((row: { term: string; video_id: string }) => [row.term, row.video_id]),
      [
        ["'ada'", listed.video_id],
        ["'cafe'", listed.video_id],
        ["'engin'", listed.video_id],
        ["'lovelac'", listed.video_id],
      ],
      'up: each lexeme of the listed title and creator’s name, once; nothing of the draft',
    );
    await db.transaction((trx) => rewriteRanks(trx, { videoIds: [listed.video_id, draft.video_id] }));
    t.deepEqual(await ranks(), migrated, 'the projection, rewriting the same videos, changes nothing');
    const touched = await db('video_search_ranks')
      .whereRaw("xmax::text <> '0'")
      .count<{ count: string }[]>('* AS count');
    t.equal(Number(touched[0]?.count), 0, 'nor locks or writes a row it leaves as it was');
  },
);
