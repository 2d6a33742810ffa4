import { migrationSource } from '../../migrations/index.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { videoSearchRow } from '../fixtures/search-videos.ts';

// The migration that adds the words a misspelled search is compared with, on a database whose
// video_search already has rows: down, then up again, counts them as the projection would.

scopedTest(
  'video search words migration: up counts the words of the videos already listed; down gives the trigram index back',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    const row = (title: string, visibility: string) => videoSearchRow(title, visibility);
    await db.migrate.down({ migrationSource, name: '20261210100000_video_search_words' });
    const indexes = async () =>
      db('pg_indexes').where({ tablename: 'video_search', indexname: 'video_search_trigrams' }).pluck('indexname');
    t.deepEqual(await indexes(), ['video_search_trigrams'], 'down: the trigram index is back');
    await db('video_search').insert([
      row('Café engines, engines', 'public'),
      row('Analytical engines', 'public'),
      row('Secret engines', 'draft'),
    ]);
    await db.migrate.latest({ migrationSource });
    t.deepEqual(
      await db('video_search_words').orderBy('word').select('word', 'videos'),
      [
        { word: 'ada', videos: 2 },
        { word: 'analytical', videos: 1 },
        { word: 'cafe', videos: 1 },
        { word: 'engines', videos: 2 },
        { word: 'lovelace', videos: 2 },
      ],
      'up: each word of a listed title or name, folded, once per video; nothing of the draft',
    );
    t.deepEqual(await indexes(), [], 'and the index no query uses is gone');
  },
);
