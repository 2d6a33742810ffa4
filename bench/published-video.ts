import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { VIA_PROXY } from './site/visitor.ts';

const WAIT_LIMIT_MS = 60_000;

/**
 * A video for our app to serve, published as the video-publishing component publishes one: its
 * catalog events (accepted as public, published, named), written to the store as another program
 * would. Its files need not exist: the watch page and its viewing form are what the bench uses.
 * Resolves once the home page lists it, which is where the site suite looks for it.
 */
export async function publishBenchVideo(
  baseUrl: string,
  messageStoreUrl: string,
  name = 'Bench video',
): Promise<string> {
  const videoId = randomUUID();
  const stream = `videoPublishing-${videoId}`;
  const published = {
    videoId,
    ownerId: randomUUID(),
    sourceUri: `video-store:sources/${videoId}`,
    transcodedUri: `video-store:transcoded/${videoId}.mp4`,
    posterUri: `video-store:posters/${videoId}.jpg`,
    durationSeconds: 10,
    width: 640,
    height: 360,
  };
  const store = new pg.Pool({
    connectionString: messageStoreUrl,
    options: '-c search_path=message_store,public',
    max: 1,
  });
  try {
    // Public from the start: a video is listed (on the home page, with a date) only once it is
    // both converted and public, and one without a visibility of its own is never listed.
    await store.query(`SELECT write_message($1, $2, 'VideoPublishingAccepted', $3::jsonb)`, [
      randomUUID(),
      stream,
      JSON.stringify({ videoId, ownerId: published.ownerId, sourceUri: published.sourceUri, visibility: 'public' }),
    ]);
    await store.query(`SELECT write_message($1, $2, 'VideoPublished', $3::jsonb)`, [
      randomUUID(),
      stream,
      JSON.stringify(published),
    ]);
    await store.query(`SELECT write_message($1, $2, 'VideoNamed', $3::jsonb)`, [
      randomUUID(),
      stream,
      JSON.stringify({ videoId, name }),
    ]);
  } finally {
    await store.end();
  }
  const began = Date.now();
  for (;;) {
    const home = await fetch(`${baseUrl}/`, { headers: VIA_PROXY });
    if ((await home.text()).includes(`/videos/${videoId}`)) return videoId;
    if (Date.now() - began > WAIT_LIMIT_MS)
      throw new Error(`the published bench video is still not on the home page (${home.status})`);
    await sleep(20);
  }
}
