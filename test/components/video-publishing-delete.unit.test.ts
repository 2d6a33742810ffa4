import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { REJECTION_REASONS, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import {
  chooseVideoPosterControl,
  deleteVideoControl,
  describeVideoControl,
  nameVideoControl,
  publishVideoControl,
  setVideoVisibilityControl,
  takeDownVideoControl,
  unpublishVideoControl,
  uploadVideoPosterControl,
} from '../../src/components/video-publishing/controls.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { videoKeys, type VideoStore } from '../../src/video-store/index.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { grantAdminRoleInIdentity, recordingStore } from '../fixtures/identity-controls.ts';
import {
  answersOf,
  eventOf,
  eventsOf,
  recordPublished,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import { tempDir } from '../fixtures/video-sources.ts';

// DeleteVideo: the owner's or an admin's, in any state, final; the files go when the
// transcoding subscriber reads VideoDeleted. Nothing here transcodes: the files are put in the
// store by hand, where the transcoder and the portal would have put them.

async function setUp(scope: Scope, wrap: (store: MessageStore) => MessageStore = (store) => store) {
  const { store } = openMemoryStore(scope);
  const dir = await tempDir(scope);
  const videoStore = videoStoreIn(dir);
  const component = videoPublishing(scope, wrap(store), videoStore);
  return { store, component, videoStore, dir };
}

async function accepted(store: MessageStore, commands: { tick(): Promise<number> }) {
  const publish = publishVideoControl();
  await writeCommand(store, publish);
  await drain(commands as never);
  return publish.data;
}

/** Every file a converted video can have: upload, MP4, poster, candidates, an uploaded poster as re-encoded and one still waiting. */
async function storeEveryFile(videoStore: VideoStore, videoId: string): Promise<void> {
  const keys = [
    videoKeys.source(videoId),
    videoKeys.transcoded(videoId),
    videoKeys.poster(videoId),
    ...[0, 1, 2, 3, 4].map((index) => videoKeys.posterCandidate(videoId, index)),
    videoKeys.uploadedPoster(videoId, randomUUID()),
    videoKeys.posterUpload(videoId, randomUUID()),
  ];
  for (const key of keys) await videoStore.put(key, Readable.from([Buffer.from('bytes')]));
}

/** The files and folders on disk that name the video, whatever their kind. */
async function onDisk(dir: string, videoId: string): Promise<string[]> {
  const entries = await readdir(path.join(dir, 'videos'), { recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.includes(videoId)).sort();
}

scopedTest(
  'video-publishing delete: the owner deletes a published video; every file of it is gone from the disk, and the viewings stay',
  async (t, scope) => {
    const { store, component, videoStore, dir } = await setUp(scope);
    const { videoId, ownerId } = await accepted(store, component.commands);
    await recordPublished(store, { videoId, ownerId });
    await storeEveryFile(videoStore, videoId);
    const other = await accepted(store, component.commands);
    await recordPublished(store, other);
    await storeEveryFile(videoStore, other.videoId);
    await store.write(`viewing-${videoId}`, { id: randomUUID(), type: 'VideoViewed', data: { videoId }, metadata: {} });
    t.equal((await onDisk(dir, videoId)).length > 9, true, 'the files are there before');
    // The transcoding subscriber has read the acceptances long before: only VideoDeleted is left for it to read.
    await drain(component.transcoder);

    await writeCommand(store, deleteVideoControl(videoId, ownerId));
    await drain(component.commands);
    const deleted = await eventOf(store, videoId, 'VideoDeleted');
    t.deepEqual(deleted?.data, { videoId, ownerId }, 'VideoDeleted names the video and its owner');
    t.equal(deleted?.metadata.userId, ownerId, 'and who deleted it');
    await drain(component.transcoder);

    t.deepEqual(await onDisk(dir, videoId), [], 'no file or folder of the video is left');
    t.ok((await onDisk(dir, other.videoId)).length > 9, "another video's files are untouched");
    t.equal((await store.readStream(`viewing-${videoId}`)).length, 1, 'its viewings stay in the log');
  },
);

scopedTest(
  'video-publishing delete: in any state (waiting, failed, taken down), by its owner or any admin; not by a stranger or a former admin',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const adminId = randomUUID();
    await grantAdminRoleInIdentity(store, adminId);
    const formerAdmin = randomUUID();
    await grantAdminRoleInIdentity(store, formerAdmin);
    await store.write(identityStreamName(formerAdmin), {
      id: randomUUID(),
      type: 'AdminRoleRevoked',
      data: { userId: formerAdmin, by: 'test' },
      metadata: {},
    });

    const waiting = await accepted(store, component.commands);
    const failed = await accepted(store, component.commands);
    await store.write(videoPublishingStreamName(failed.videoId), {
      id: randomUUID(),
      type: 'VideoPublishingFailed',
      data: { ownerId: failed.ownerId, videoId: failed.videoId, reason: 'not a video' },
      metadata: {},
    });
    const takenDown = await accepted(store, component.commands);
    await writeCommand(store, takeDownVideoControl(takenDown.videoId, 'Spam', adminId));
    const byAdmin = await accepted(store, component.commands);
    await recordPublished(store, byAdmin);
    await drain(component.commands);

    const strangers = [randomUUID(), formerAdmin];
    for (const userId of strangers) await writeCommand(store, deleteVideoControl(byAdmin.videoId, userId));
    await writeCommand(store, deleteVideoControl(randomUUID(), adminId));
    for (const { videoId, ownerId } of [waiting, failed, takenDown])
      await writeCommand(store, deleteVideoControl(videoId, ownerId));
    await writeCommand(store, deleteVideoControl(byAdmin.videoId, adminId));
    await drain(component.commands);

    t.deepEqual(
      (await answersOf(store, byAdmin.videoId)).map(([type, data]) => [type, (data as { reason?: string }).reason]),
      [
        ['VideoDeleteRejected', REJECTION_REASONS.notOwner],
        ['VideoDeleteRejected', REJECTION_REASONS.notOwner],
        ['VideoDeleted', undefined],
      ],
      "a stranger and a revoked admin are refused as not the owner; an admin deletes someone else's video",
    );
    t.equal(
      (await eventOf(store, byAdmin.videoId, 'VideoDeleted'))?.metadata.userId,
      adminId,
      'the event names the admin',
    );
    for (const [name, { videoId }] of Object.entries({ waiting, failed, takenDown })) {
      t.ok(await eventOf(store, videoId, 'VideoDeleted'), `a ${name} video is deleted`);
    }
  },
);

scopedTest(
  'video-publishing delete: deleted is final: every later command is refused as deleted, and a second delete too',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const adminId = randomUUID();
    await grantAdminRoleInIdentity(store, adminId);
    const { videoId, ownerId } = await accepted(store, component.commands);
    await recordPublished(store, { videoId, ownerId });
    await writeCommand(store, deleteVideoControl(videoId, ownerId));
    const later = [
      nameVideoControl(videoId, 'A new name', ownerId),
      describeVideoControl(videoId, 'About it', ownerId),
      unpublishVideoControl(videoId, ownerId),
      setVideoVisibilityControl(videoId, 'draft', ownerId),
      chooseVideoPosterControl(videoId, 1, ownerId),
      uploadVideoPosterControl(videoId, ownerId),
      takeDownVideoControl(videoId, 'Spam', adminId),
      deleteVideoControl(videoId, ownerId),
      publishVideoControl({ videoId, ownerId }),
    ];
    for (const command of later) await writeCommand(store, command);
    await drain(component.commands);

    const answers = (await answersOf(store, videoId)).slice(1);
    t.deepEqual(
      answers.map(([type]) => type),
      [
        'VideoNameRejected',
        'VideoDescriptionRejected',
        'VideoUnpublishRejected',
        'VideoVisibilityRejected',
        'VideoPosterRejected',
        'VideoPosterRejected',
        'VideoTakeDownRejected',
        'VideoDeleteRejected',
        'VideoPublishingRejected',
      ],
      'each answered with its rejection',
    );
    t.ok(
      answers.every(([, data]) => (data as { reason: string }).reason === REJECTION_REASONS.deleted),
      'every one because the video was deleted',
    );
  },
);

scopedTest(
  'video-publishing delete: DeleteVideo and VideoDeleted delivered twice have one effect; removing the files again is harmless',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, recording, videoStore);
    const { videoId, ownerId } = await accepted(store, component.commands);
    await recordPublished(store, { videoId, ownerId });
    await storeEveryFile(videoStore, videoId);
    const command: RawMessage = await writeCommand(store, deleteVideoControl(videoId, ownerId));

    await component.handlers.commands(command);
    const attempts = recording.attempts.length;
    await component.handlers.commands(command);
    t.equal(recording.attempts.length, attempts, 'the second delivery found its answer and tried no write');
    const [deleted] = (await eventsOf(store, videoId)).filter((event) => event.type === 'VideoDeleted');
    await component.handlers.transcoding(deleted!);
    await component.handlers.transcoding(deleted!);
    t.deepEqual(await onDisk(dir, videoId), [], 'the files are gone, and the second removal did not fail');
    t.deepEqual(
      (await typesOf(store, videoId)).filter((type) => type.startsWith('VideoDelete')),
      ['VideoDeleted'],
      'one VideoDeleted',
    );
  },
);

scopedTest(
  'video-publishing delete: a video deleted while it waits for a transcoder is never transcoded, and its acceptance read again removes its files',
  async (t, scope) => {
    const { store, component, videoStore, dir } = await setUp(scope);
    const { videoId, ownerId } = await accepted(store, component.commands);
    await writeCommand(store, deleteVideoControl(videoId, ownerId));
    await drain(component.commands);
    // The upload lands after the deletion's clean-up (a crash between them, say): the acceptance, read again, removes it.
    await videoStore.put(videoKeys.source(videoId), Readable.from([Buffer.from('not even a video')]));
    const acceptance = (await eventsOf(store, videoId)).find((event) => event.type === 'VideoPublishingAccepted')!;
    await component.handlers.transcoding(acceptance);
    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoDeleted'],
      'not transcoded: no start, no failure',
    );
    t.deepEqual(await onDisk(dir, videoId), [], 'and no file left');
  },
);
