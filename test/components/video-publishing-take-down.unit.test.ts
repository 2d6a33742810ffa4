import { randomUUID } from 'node:crypto';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { publishVideoControl, unpublishVideoControl } from '../../src/components/video-publishing/controls.ts';
import { ERASED_OWNER_REASON } from '../../src/components/video-publishing/handlers/transcoding.ts';
import type { Message, MessageStore, RawMessage } from '../../src/message-store/index.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { recordingStore } from '../fixtures/identity-controls.ts';
import {
  eventsOf,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import { tempDir } from '../fixtures/video-sources.ts';

// TakeDownVideo: an admin takes down any video. Only the command subscriber runs (and, once,
// the transcoding handler is called by hand): nothing here transcodes.

const NOT_ADMIN = 'only an admin can take a video down';

/** TakeDownVideo as the admin portal writes it: sent by `userId`. Built by hand, as any writer of the command stream could. */
const takeDown = (videoId: string, reason: string, userId: string): Message => ({
  id: randomUUID(),
  type: 'TakeDownVideo',
  data: { videoId, reason },
  metadata: { userId, traceId: randomUUID() },
});

const identityEvent = (type: string, userId: string): Message => ({
  id: randomUUID(),
  type,
  data: { userId, by: 'test' },
  metadata: {},
});

/** A user the identity component made an admin (and, with `then`, later changed). */
async function admin(store: MessageStore, ...then: string[]): Promise<string> {
  const userId = randomUUID();
  for (const type of ['AdminRoleGranted', ...then])
    await store.write(identityStreamName(userId), identityEvent(type, userId));
  return userId;
}

async function setUp(scope: Scope, wrap: (store: MessageStore) => MessageStore = (store) => store) {
  const { store } = openMemoryStore(scope);
  const component = videoPublishing(scope, wrap(store), videoStoreIn(await tempDir(scope)));
  return { store, component };
}

/** A video accepted and (as the transcoder would write it) published. */
async function publishedVideo(store: MessageStore, commands: { tick(): Promise<number> }) {
  const publish = publishVideoControl();
  await writeCommand(store, publish);
  while ((await commands.tick()) > 0);
  const { ownerId, videoId } = publish.data;
  await store.write(videoPublishingStreamName(videoId), {
    id: randomUUID(),
    type: 'VideoPublished',
    data: {
      ownerId,
      videoId,
      sourceUri: `video-store:source/${videoId}`,
      transcodedUri: `video-store:transcoded/${videoId}.mp4`,
      posterUri: `video-store:posters/${videoId}.jpg`,
      durationSeconds: 1,
      width: 320,
      height: 240,
    },
    metadata: {},
  });
  return publish.data;
}

const answers = async (store: MessageStore, videoId: string) =>
  (await eventsOf(store, videoId))
    .filter((event) => !['VideoPublishingAccepted', 'VideoPublished'].includes(event.type))
    .map((event) => [event.type, event.data]);

scopedTest(
  'video-publishing: an admin takes down a published video with a reason; its owner can no longer unpublish it',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await publishedVideo(store, component.commands);
    const adminId = await admin(store);
    await writeCommand(store, takeDown(videoId, '  Copyright claim from the author  ', adminId));
    await writeCommand(store, unpublishVideoControl(videoId, ownerId));
    await writeCommand(store, takeDown(videoId, 'Again', adminId));
    await drain(component.commands);

    t.deepEqual(
      await answers(store, videoId),
      [
        ['VideoTakenDown', { videoId, reason: 'Copyright claim from the author' }],
        ['VideoUnpublishRejected', { videoId, reason: 'the video was taken down' }],
        ['VideoTakeDownRejected', { videoId, reason: 'the video is already taken down' }],
      ],
      'taken down with the reason trimmed; then its owner cannot change it, and a second take-down says it is down already',
    );
    const [takenDown] = (await eventsOf(store, videoId)).filter((event) => event.type === 'VideoTakenDown');
    t.equal(takenDown?.metadata.userId, adminId, 'the event names the admin who sent it');
  },
);

scopedTest(
  'video-publishing: a take-down from someone who is not an admin, no longer one, or erased is rejected, and the video stays up',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await publishedVideo(store, component.commands);
    const revoked = await admin(store, 'AdminRoleRevoked');
    const erased = await admin(store, 'UserErased');
    // Made an admin only after sending it: authority is the sender's when the command was written.
    const tooLate = randomUUID();
    const senders = [ownerId, randomUUID(), revoked, erased, tooLate];
    for (const sender of senders) await writeCommand(store, takeDown(videoId, 'Not yours to take down', sender));
    await store.write(identityStreamName(tooLate), identityEvent('AdminRoleGranted', tooLate));
    await writeCommand(store, takeDown(randomUUID(), 'No such video', randomUUID()));
    await drain(component.commands);

    t.deepEqual(
      await answers(store, videoId),
      senders.map(() => ['VideoTakeDownRejected', { videoId, reason: NOT_ADMIN }]),
      'its owner, a stranger, a revoked admin, an erased admin and an admin made so afterwards: each rejected',
    );
    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoPublished', ...senders.map(() => 'VideoTakeDownRejected')],
      'nothing was taken down',
    );
  },
);

scopedTest(
  'video-publishing: a take-down needs a video and a reason of plain text up to 500 characters',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId } = await publishedVideo(store, component.commands);
    const adminId = await admin(store);
    const unknown = randomUUID();
    await writeCommand(store, takeDown(unknown, 'Spam', adminId));
    for (const reason of ['   ', 'x'.repeat(501), 'bell\u0007'])
      await writeCommand(store, takeDown(videoId, reason, adminId));
    await writeCommand(store, takeDown(videoId, `Line one\nline two ${'é'.repeat(480)}`, adminId));
    await drain(component.commands);

    t.deepEqual(
      await answers(store, unknown),
      [['VideoTakeDownRejected', { videoId: unknown, reason: 'there is no such video' }]],
      'no video: rejected',
    );
    t.deepEqual(
      await answers(store, videoId),
      [
        ['VideoTakeDownRejected', { videoId, reason: 'a take-down needs a reason' }],
        ['VideoTakeDownRejected', { videoId, reason: 'a reason can be at most 500 characters' }],
        ['VideoTakeDownRejected', { videoId, reason: 'a reason must be plain text' }],
        ['VideoTakenDown', { videoId, reason: `Line one\nline two ${'é'.repeat(480)}` }],
      ],
      'blank, too long and control characters are rejected; line breaks are fine',
    );
  },
);

scopedTest('video-publishing: a take-down delivered twice (or raced) writes one VideoTakenDown', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const recording = recordingStore(store);
  const component = videoPublishing(scope, recording, videoStoreIn(await tempDir(scope)));
  const { videoId } = await publishedVideo(store, component.commands);
  const adminId = await admin(store);
  const command: RawMessage = await writeCommand(store, takeDown(videoId, 'Spam', adminId));

  await component.handlers.commands(command);
  const attempts = recording.attempts.length;
  await component.handlers.commands(command);
  t.equal(recording.attempts.length, attempts, 'the second delivery found its answer and tried no write');
  recording.holdWrites(2);
  const raced = await writeCommand(store, takeDown(videoId, 'Spam again', adminId));
  await Promise.allSettled([component.handlers.commands(raced), component.handlers.commands(raced)]);
  await component.handlers.commands(raced);
  t.deepEqual(
    (await typesOf(store, videoId)).filter((type) => type.startsWith('VideoTake')),
    ['VideoTakenDown', 'VideoTakeDownRejected'],
    'one VideoTakenDown, and one answer to the raced command',
  );
});

scopedTest(
  'video-publishing: a video taken down while it waits to be transcoded is never transcoded or published',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await writeCommand(store, publish);
    await writeCommand(store, takeDown(videoId, 'Uploaded by a spammer', await admin(store)));
    await drain(component.commands);
    const accepted = (await eventsOf(store, videoId)).find((event) => event.type === 'VideoPublishingAccepted')!;
    // No upload in the store: were it transcoded, ffprobe would fail on it and say so.
    await component.handlers.transcoding(accepted);
    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoTakenDown'],
      'the transcoder leaves a taken-down video alone',
    );
  },
);

scopedTest(
  'video-publishing: a PublishVideo from a user already erased (an upload that finished after the erasure) is rejected, never accepted or published',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const ownerId = randomUUID();
    // The erasure ran while the upload was on its way: the admin portal listed no video of theirs to take down.
    await store.write(identityStreamName(ownerId), identityEvent('UserErased', ownerId));
    const publish = publishVideoControl({ ownerId });
    const { videoId } = publish.data;
    await writeCommand(store, publish);
    await drain(component.commands);
    t.deepEqual(
      (await eventsOf(store, videoId)).map((event) => [event.type, (event.data as { reason?: string }).reason]),
      [['VideoPublishingRejected', 'the account was erased']],
      'rejected: the video never exists, so nothing transcodes or publishes it',
    );
  },
);

scopedTest(
  'video-publishing: a video accepted before its creator was erased is not published after it (the erasure may not have listed it)',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    await writeCommand(store, publish);
    await drain(component.commands);
    // Erased while the video waited for a transcoder, before the admin-users projection had it.
    await store.write(identityStreamName(ownerId), identityEvent('UserErased', ownerId));
    const accepted = (await eventsOf(store, videoId)).find((event) => event.type === 'VideoPublishingAccepted')!;
    await component.handlers.transcoding(accepted);
    t.deepEqual(
      (await eventsOf(store, videoId)).map((event) => [event.type, (event.data as { reason?: string }).reason]),
      [
        ['VideoPublishingAccepted', undefined],
        ['VideoPublishingFailed', ERASED_OWNER_REASON],
      ],
      'failed, not transcoded (there is no upload: a transcode would have said so) and never published',
    );
  },
);
