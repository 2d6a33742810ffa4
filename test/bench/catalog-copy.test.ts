import pg from 'pg';
import { catchUpFromZero, headAt } from '../../bench/catalog/catch-up.ts';
import { copyCatalogAsSeeded } from '../../bench/catalog/copy-catalog.ts';
import { planCatalog } from '../../bench/catalog/generate.ts';
import { seedCatalog } from '../../bench/catalog/write.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const SIZES = { videos: 12, creators: 3, viewings: 120, playback: 40, logins: 6, renames: 3 };

/** What the projections hold that sealed fields and per-message writes make, one hash per table. */
async function projected(databaseUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const hashes: Record<string, string> = {};
    for (const [table, order] of [
      ['playback_positions', 'user_id, video_id'],
      ['creators_videos', 'video_id'],
      ['user_profiles', 'user_id'],
      ['videos', 'video_id'],
      ['home_page', 'page_name'],
    ] as const) {
      const { rows } = await client.query<{ hash: string | null; n: string }>(
        `SELECT md5(string_agg(t::text, ',' ORDER BY ${order})) AS hash, count(*) AS n FROM ${table} t`,
      );
      hashes[table] = `${rows[0]!.n} rows ${rows[0]!.hash ?? ''}`;
    }
    return hashes;
  } finally {
    await client.end();
  }
}

scopedTest(
  'bench:catch-up-again: the catalog copied as seeded catches up to the projections the seed’s own catch-up made',
  async (t, scope) => {
    const urls = await freshDatabases();
    const phases = await seedCatalog(planCatalog('copy', SIZES), {
      urls,
      logger: silentLogger,
      batchSize: 40,
      writers: 1,
    });
    const written = phases.reduce((sum, phase) => sum + phase.messages, 0);
    const seededHead = await headAt(urls.messageStoreUrl);
    await catchUpFromZero({ urls, logger: silentLogger, pollMs: 50, timeoutMs: 60_000 });
    const seeds = await projected(urls.databaseUrl);
    t.ok(
      Number.parseInt(seeds.playback_positions!, 10) > 0,
      `the seed's catch-up made playback rows (${seeds.playback_positions})`,
    );

    const copy = scope.add(await copyCatalogAsSeeded(urls, { seededHead, written, logger: silentLogger }), (made) =>
      made.drop(),
    );
    t.ok(copy.keys > 0, `the personal-data keys copied (${copy.keys})`);
    t.equal(await headAt(copy.urls.messageStoreUrl), seededHead, 'the copy ends where the seed did');
    await catchUpFromZero({ urls: copy.urls, logger: silentLogger, pollMs: 50, timeoutMs: 60_000 });
    t.deepEqual(await projected(copy.urls.databaseUrl), seeds, 'the same rows in every table compared');
  },
);
