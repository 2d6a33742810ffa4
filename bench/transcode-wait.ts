// How long creator B's short clip waits behind creator A's heavy uploads (issue 14 §2).
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//   node --import tsx bench/transcode-wait.ts <heavy source> [<heavy source>…]
//
// BENCH_DATABASE_URL names a server where the role may create databases (a throwaway pair is
// made and dropped). FFMPEG_PATH and FFPROBE_PATH choose the tools, as they do for the app.
//
// A sends each heavy source in turn, then B sends a 2-second 320×240 clip; the component runs
// as the site runs it (one transcode at a time, the system's ffmpeg), and the script prints
// when each video got its outcome. Nothing here asserts a time: it is a figure for the notes.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createVideoPublishingComponent } from '../src/components/video-publishing/index.ts';
import { publishVideoControl } from '../src/components/video-publishing/controls.ts';
import { videoPublishingCommandStreamName, videoPublishingStreamName } from '../src/contracts/video-publishing.ts';
import { resolveMediaTools } from '../src/media-tools.ts';
import { createLocalVideoStore, videoKeys } from '../src/video-store/index.ts';
import { dropDatabase, ensureDatabase } from '../src/db/ensure-database.ts';
import { installMessageDb } from '../src/db/install-message-db.ts';
import { createLogger } from '../src/logger.ts';
import { messageVersions } from '../src/contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../src/message-store/index.ts';
import { createScope } from '../test/helpers/scope.ts';
import { makeVideo } from '../test/fixtures/video-sources.ts';

const logger = createLogger('silent');

const OUTCOMES = new Set(['VideoPublished', 'VideoPublishingFailed']);

async function main(heavy: readonly string[]): Promise<void> {
  if (heavy.length === 0) throw new Error('name at least one heavy source file');
  const server = process.env.BENCH_DATABASE_URL;
  if (!server) throw new Error('set BENCH_DATABASE_URL to a PostgreSQL server where the role may create databases');
  const scope = createScope();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'transcode-wait-'));
  scope.add(dir, (d) => rm(d, { recursive: true, force: true }));
  try {
    const url = new URL(server);
    url.pathname = `/vt_bench_transcode_${crypto.randomUUID().slice(0, 8)}`;
    await ensureDatabase(url.toString(), logger);
    scope.add(url.toString(), dropDatabase);
    await installMessageDb(url.toString(), logger);
    const pool = scope.add(createMessageStorePool(url.toString(), { logger }), (p) => p.end());
    const store = scope.add(createMessageStore({ pool, url: url.toString(), logger, versions: messageVersions }), (s) =>
      s.close(),
    );
    const videoStore = createLocalVideoStore({ dir: path.join(dir, 'videos') });
    const tools = resolveMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH });
    const component = createVideoPublishingComponent({ messageStore: store, logger, videoStore, ...tools });
    for (const subscription of component.subscriptions) scope.running(subscription).start();
    const small = await makeVideo(dir, { seconds: 2 });

    const ownerA = crypto.randomUUID();
    const ownerB = crypto.randomUUID();
    const sent: Array<{ who: string; videoId: string; at: number }> = [];
    const send = async (who: string, ownerId: string, file: string) => {
      const publish = publishVideoControl({ ownerId });
      await videoStore.put(videoKeys.source(publish.data.videoId), createReadStream(file));
      await store.write(videoPublishingCommandStreamName(publish.data.videoId), publish);
      sent.push({ who, videoId: publish.data.videoId, at: Date.now() });
    };
    const start = Date.now();
    for (const [n, file] of heavy.entries()) await send(`A${n + 1} (${path.basename(file)})`, ownerA, file);
    await send('B (2 s clip)', ownerB, small);

    const outcomes = new Map<string, { type: string; at: number; reason?: string }>();
    while (outcomes.size < sent.length) {
      for (const { videoId } of sent) {
        if (outcomes.has(videoId)) continue;
        const events = await store.readStream(videoPublishingStreamName(videoId));
        const outcome = events.find((event) => OUTCOMES.has(event.type));
        if (outcome)
          outcomes.set(videoId, {
            type: outcome.type,
            at: Date.now(),
            reason: (outcome.data as { reason?: string }).reason,
          });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.log(`ffmpeg: ${tools.ffmpegPath}`);
    for (const { who, videoId, at } of sent) {
      const outcome = outcomes.get(videoId)!;
      const reason = outcome.reason ? ` — ${outcome.reason}` : '';
      console.log(
        `${who}: ${outcome.type} ${((outcome.at - at) / 1000).toFixed(1)} s after it was sent (${((outcome.at - start) / 1000).toFixed(1)} s from the start)${reason}`,
      );
    }
  } finally {
    await scope.close();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
