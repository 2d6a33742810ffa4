import { migrationSource } from '../../migrations/index.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { videoSearchRow } from '../fixtures/search-videos.ts';

// The migration that adds each listed title's words for up next, on a database whose
// video_search already has rows: down, then up again, writes them as the projection would.

scopedTest(
  'video title words migration: up writes the title words of the videos already listed, nothing of the rest',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    const publishedAt = new Date('2026-12-01T10:00:00Z');
    const row = (title: string | null, visibility: string) => videoSearchRow(title, visibility, publishedAt);
    await db.migrate.down({ migrationSource, name: '20261211100000_video_title_words' });
    t.notOk(await db.schema.hasTable('video_title_words'), 'down: the table is gone');
    const listed = row('Café engines, engines', 'public');
    await db('video_search').insert([listed, row('Secret engines', 'draft'), row(null, 'public')]);
    await db.migrate.latest({ migrationSource });
    t.deepEqual(
      await db('video_title_words').orderBy('word').select('word', 'published_at', 'video_id'),
      [
        { word: 'cafe', published_at: publishedAt, video_id: listed.video_id },
        { word: 'engines', published_at: publishedAt, video_id: listed.video_id },
      ],
      'up: each word of the listed title, folded, once, with its date; nothing of the draft, the untitled or the name',
    );
  },
);
