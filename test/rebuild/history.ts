// A small history touching every rebuildable projection (every table of each), for the rebuild tests.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { authenticationStreamName, type AuthenticationEvent } from '../../src/contracts/authentication.ts';
import { viewingStreamName, type VideoViewed } from '../../src/contracts/viewing.ts';
import { identityStreamName, type IdentityEvent } from '../../src/contracts/identity.ts';
import { videoPublishingCommandStreamName } from '../../src/contracts/video-publishing.ts';
import { nameVideoControl, publishVideoControl } from '../../src/components/video-publishing/controls.ts';
import type { MessageStore, Metadata } from '../../src/message-store/index.ts';
import { controls, writeEvents, type TestVideo } from '../fixtures/catalog-events.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';
import { writeViewings } from '../helpers/viewings.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';

export interface History {
  readonly users: readonly string[];
  readonly videos: readonly TestVideo[];
}

async function register(store: MessageStore, admin: boolean): Promise<string> {
  const userId = randomUUID();
  const events: IdentityEvent[] = [
    {
      id: randomUUID(),
      type: 'Registered',
      data: { userId, email: uniqueEmail(), passwordHash: fakePasswordHash() },
      metadata: {},
    },
  ];
  if (admin) events.push({ id: randomUUID(), type: 'AdminRoleGranted', data: { userId, by: 'test' }, metadata: {} });
  for (const event of events) await store.write(identityStreamName(userId), event);
  return userId;
}

/** A creator's publish and rename, each command answered by the component's events on the same trace. */
async function publish(store: MessageStore, name: string): Promise<TestVideo> {
  const command = publishVideoControl();
  const video = { videoId: command.data.videoId, ownerId: command.data.ownerId };
  await store.write(videoPublishingCommandStreamName(video.videoId), command);
  const trace: Metadata = { traceId: command.metadata.traceId!, userId: video.ownerId };
  await writeEvents(
    store,
    video,
    controls.accepted(video, trace),
    controls.started(video, trace),
    controls.progressed(video, 50, trace),
    controls.published(video, trace),
  );
  const rename = nameVideoControl(video.videoId, name, video.ownerId);
  await store.write(videoPublishingCommandStreamName(video.videoId), rename);
  await writeEvents(
    store,
    video,
    controls.named(video, name, { traceId: rename.metadata.traceId!, userId: video.ownerId }),
  );
  return video;
}

/** Viewings of `video`: version 2 as the site writes them now. */
export async function view(store: MessageStore, { videoId }: TestVideo, count: number): Promise<void> {
  for (let n = 0; n < count; n += 1) {
    const viewed: VideoViewed = {
      id: randomUUID(),
      type: 'VideoViewed',
      data: { videoId, userId: null, source: 'button', visitorKey: null },
      metadata: {},
    };
    await store.write(viewingStreamName(videoId), viewed);
  }
}

export async function writeHistory(store: MessageStore, pool: pg.Pool, { videos = 3 } = {}): Promise<History> {
  const users = [await register(store, true), await register(store, false), await register(store, false)];
  const published: TestVideo[] = [];
  for (let n = 0; n < videos; n += 1) published.push(await publish(store, `Video ${n + 1}`));
  for (const [n, video] of published.entries()) await view(store, video, n + 1);
  const last = published.at(-1);
  if (last) {
    const byUser: VideoViewed = {
      id: randomUUID(),
      type: 'VideoViewed',
      data: { videoId: last.videoId, userId: users[1]!, source: 'button', visitorKey: null },
      metadata: { userId: users[1]! },
    };
    await store.write(viewingStreamName(last.videoId), byUser);
  }
  // Version 3: visitors named, each back within the window (recorded, not counted again).
  if (last) {
    for (const [visitorKey, userId] of [
      ['visitor-a', null],
      ['visitor-a', null],
      ['visitor-b', users[2]!],
      ['visitor-b', users[2]!],
    ] as const) {
      const viewed: VideoViewed = {
        id: randomUUID(),
        type: 'VideoViewed',
        data: { videoId: last.videoId, userId, source: 'watch-page', visitorKey },
        metadata: { userId },
      };
      await store.write(viewingStreamName(last.videoId), viewed);
    }
  }
  const loggedIn: AuthenticationEvent = {
    id: randomUUID(),
    type: 'UserLoggedIn',
    data: { userId: users[0]! },
    metadata: { userId: users[0]! },
  };
  await store.write(authenticationStreamName(users[0]!), loggedIn);
  // Version 1 viewings, as written before viewings said where they came from.
  await writeViewings(pool, 4);
  // Data that breaks its contract: skipped by the live subscriber and the rebuild alike.
  await pool.query(
    `SELECT write_message(gen_random_uuid()::text, 'viewing-legacy-7', 'VideoViewed', '{"videoId":"legacy-7","userId":null}')`,
  );
  return { users, videos: published };
}

/**
 * Issue 18's events: a draft with poster frames made public, given another poster, then unlisted;
 * a video deleted, with events after its deletion (a late transcode, a racing rename); a failed
 * upload. Each answers a command on its trace, as the component writes them.
 */
export async function writeVisibilityHistory(store: MessageStore): Promise<readonly TestVideo[]> {
  const draft = await publish(store, 'A draft at first');
  const frame = uriOfKey(videoKeys.posterCandidate(draft.videoId, 1));
  await writeEvents(
    store,
    draft,
    controls.visibilityChanged(draft, 'public'),
    controls.posterChanged(draft, frame),
    controls.visibilityChanged(draft, 'unlisted'),
  );
  const deleted = await publish(store, 'Deleted soon');
  await view(store, deleted, 2);
  await writeEvents(
    store,
    deleted,
    controls.deleted(deleted),
    controls.published(deleted),
    controls.named(deleted, 'Back again?'),
  );
  await view(store, deleted, 1);
  const failed = { videoId: randomUUID(), ownerId: draft.ownerId };
  await writeEvents(
    store,
    failed,
    controls.accepted(failed, {}, 'draft'),
    controls.started(failed),
    controls.failed(failed, 'not a video'),
  );
  return [draft, deleted, failed];
}
