import type { DatabaseUrls } from '../../src/config/env.ts';
import { ANY_CATEGORY } from '../../src/message-store/index.ts';
import { readProgress } from '../../src/rebuild/index.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { operatorEnv, runCli, type CliResult } from '../helpers/run-cli.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { contentsOf } from './tables.ts';
import { writeHistory } from './history.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** The CLI as an operator runs it: no .env, the databases named by URL. */
function rebuildCli(args: readonly string[], urls: DatabaseUrls): Promise<CliResult> {
  return runCli(
    'src/bin/rebuild-projections.ts',
    args,
    operatorEnv({ DATABASE_URL: urls.databaseUrl, MESSAGE_STORE_URL: urls.messageStoreUrl }),
  );
}

scopedTest(
  'projections:rebuild CLI: rebuilds what it is named, says so, and refuses names it does not know',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeHistory(store, pool, { videos: 2 });

    const videos = await rebuildCli(['videos', '--batch-size', '3'], urls);
    t.equal(videos.code, 0, 'exit 0');
    t.match(
      videos.stdout,
      /^Rebuilt videos: [\d,]+ messages? \(1 skipped: their data breaks the contract\) in [\d.]+ s; aggregators:videos at \d+, aggregators:videos:views at \d+\.\n$/,
      'the result on stdout',
    );
    t.match(
      videos.stderr,
      /videos: building \(0\/\d+ messages\)\nvideos: catching up/,
      'off a terminal, a line per phase on stderr',
    );
    t.equal(
      (await contentsOf(db, 'videos')).length,
      6,
      'the rows are there: two published videos and four viewed ones (version 1 viewings)',
    );

    // A running app listens for writes, so the CLI sends NOTIFYs, one of which may be on its way
    // as it closes: it must finish before the connection does, not die as a warning.
    store.onWrite(ANY_CATEGORY, () => undefined);
    const all = await rebuildCli(['all'], urls);
    t.equal(all.code, 0, 'all: exit 0');
    // Off a terminal stderr holds the phases and any log line (warnings and worse): none expected.
    t.deepEqual(
      all.stderr.split('\n').filter((line) => line.startsWith('{')),
      [],
      'no warning on the way or at the end',
    );
    t.deepEqual(
      all.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(':')[0]),
      [
        'Rebuilt home-page',
        'Rebuilt user-credentials',
        'Rebuilt videos',
        'Rebuilt creators-videos',
        'Rebuilt video-operations',
        'Rebuilt admin-users',
        'Rebuilt admin-streams',
        'Rebuilt user-profiles',
        'Rebuilt playback',
        'Rebuilt video-search',
        'Rebuilt popular-videos',
      ],
      'every projection, in order',
    );
    t.deepEqual(
      (await readProgress(db)).map((row) => [row.projection, row.state, row.requestedBy.startsWith('cli:')]),
      [
        ['admin-streams', 'done', true],
        ['admin-users', 'done', true],
        ['creators-videos', 'done', true],
        ['home-page', 'done', true],
        ['playback', 'done', true],
        ['popular-videos', 'done', true],
        ['user-credentials', 'done', true],
        ['user-profiles', 'done', true],
        ['video-operations', 'done', true],
        ['video-search', 'done', true],
        ['videos', 'done', true],
      ],
      'each run on record, by the CLI',
    );

    const unknown = await rebuildCli(['everything'], urls);
    t.equal(unknown.code, 2, 'an unknown name: exit 2');
    t.match(
      unknown.stderr,
      /no projection named "everything"\nusage: npm run projections:rebuild -- <home-page\|user-credentials\|videos\|creators-videos\|video-operations\|admin-users\|admin-streams\|user-profiles\|playback\|video-search\|popular-videos\|all>/,
      'naming the ones it knows',
    );
  },
);
