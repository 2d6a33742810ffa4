import { randomUUID } from 'node:crypto';
import { REJECTION_REASONS, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import {
  publishVideoControl,
  setVideoVisibilityControl,
  takeDownVideoControl,
  unpublishVideoControl,
} from '../../src/components/video-publishing/controls.ts';
import { videoProjection } from '../../src/components/video-publishing/video.ts';
import type { Message, MessageStore, RawMessage } from '../../src/message-store/index.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { grantAdminRoleInIdentity, recordingStore } from '../fixtures/identity-controls.ts';
import {
  answersOf,
  eventOf,
  recordPublished,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import { tempDir } from '../fixtures/video-sources.ts';

// Visibility: chosen at upload, changed any time by the owner; "unpublish" makes a draft.
// Only the command subscriber runs: nothing here transcodes.

async function setUp(scope: Scope, wrap: (store: MessageStore) => MessageStore = (store) => store) {
  const { store } = openMemoryStore(scope);
  const component = videoPublishing(scope, wrap(store), videoStoreIn(await tempDir(scope)));
  return { store, component };
}

async function accepted(
  store: MessageStore,
  commands: { tick(): Promise<number> },
  visibility: 'draft' | 'unlisted' | 'public' = 'public',
) {
  const publish = publishVideoControl({ visibility });
  await writeCommand(store, publish);
  await drain(commands as never);
  return publish.data;
}

const visibilityOf = async (store: MessageStore, videoId: string) =>
  (await store.project(videoPublishingStreamName(videoId), videoProjection)).state.visibility;

scopedTest(
  'video-publishing visibility: the upload says it, the acceptance copies it; a PublishVideo from before visibility reads as public',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const draft = await accepted(store, component.commands, 'draft');
    const old = publishVideoControl();
    const { visibility: _none, ...oldData } = old.data;
    await writeCommand(store, { ...old, data: oldData } as Message);
    await drain(component.commands);

    t.equal(
      ((await eventOf(store, draft.videoId, 'VideoPublishingAccepted'))?.data as { visibility: string }).visibility,
      'draft',
      'a draft upload',
    );
    t.equal(await visibilityOf(store, draft.videoId), 'draft', 'is a draft');
    t.equal(
      ((await eventOf(store, old.data.videoId, 'VideoPublishingAccepted'))?.data as { visibility?: string }).visibility,
      'public',
      'an old PublishVideo without one is accepted as public, as it was then',
    );
  },
);

scopedTest(
  'video-publishing visibility: the owner moves a video between draft, unlisted and public, while it transcodes too',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await accepted(store, component.commands, 'draft');
    await writeCommand(store, setVideoVisibilityControl(videoId, 'unlisted', ownerId));
    await drain(component.commands);
    await recordPublished(store, { videoId, ownerId });
    for (const visibility of ['public', 'draft', 'public'] as const)
      await writeCommand(store, setVideoVisibilityControl(videoId, visibility, ownerId));
    await writeCommand(store, unpublishVideoControl(videoId, ownerId));
    await writeCommand(store, setVideoVisibilityControl(videoId, 'public', ownerId));
    await drain(component.commands);

    t.deepEqual(
      await answersOf(store, videoId),
      [
        ['VideoVisibilityChanged', { videoId, visibility: 'unlisted' }],
        ['VideoVisibilityChanged', { videoId, visibility: 'public' }],
        ['VideoVisibilityChanged', { videoId, visibility: 'draft' }],
        ['VideoVisibilityChanged', { videoId, visibility: 'public' }],
        ['VideoUnpublished', { videoId }],
        ['VideoVisibilityChanged', { videoId, visibility: 'public' }],
      ],
      'unlisted before it was converted, then public, draft, public; unpublished (a draft), and public again: nothing irreversible',
    );
    t.equal(await visibilityOf(store, videoId), 'public', 'it ends public');
  },
);

scopedTest(
  'video-publishing visibility: refused for a stranger, an unknown video, the same visibility, and a failed, taken-down or deleted video',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const live = await accepted(store, component.commands);
    const same = await accepted(store, component.commands);
    const failed = await accepted(store, component.commands);
    const takenDown = await accepted(store, component.commands);
    const deleted = await accepted(store, component.commands);
    await store.write(videoPublishingStreamName(failed.videoId), {
      id: randomUUID(),
      type: 'VideoPublishingFailed',
      data: { ownerId: failed.ownerId, videoId: failed.videoId, reason: 'not a video' },
      metadata: {},
    });
    const adminId = randomUUID();
    await grantAdminRoleInIdentity(store, adminId);
    await writeCommand(store, takeDownVideoControl(takenDown.videoId, 'Spam', adminId));
    await writeCommand(store, {
      id: randomUUID(),
      type: 'DeleteVideo',
      data: { videoId: deleted.videoId },
      metadata: { userId: deleted.ownerId, traceId: randomUUID() },
    });
    await drain(component.commands);
    const unknown = randomUUID();
    const asked: Array<[string, string]> = [
      [live.videoId, randomUUID()],
      [unknown, randomUUID()],
      [same.videoId, same.ownerId],
      [failed.videoId, failed.ownerId],
      [takenDown.videoId, takenDown.ownerId],
      [deleted.videoId, deleted.ownerId],
    ];
    for (const [videoId, userId] of asked)
      await writeCommand(store, setVideoVisibilityControl(videoId, 'public', userId));
    await drain(component.commands);

    const reasons = await Promise.all(
      asked.map(
        async ([videoId]) =>
          ((await eventOf(store, videoId, 'VideoVisibilityRejected'))?.data as { reason?: string } | undefined)?.reason,
      ),
    );
    t.deepEqual(
      reasons,
      [
        REJECTION_REASONS.notOwner,
        REJECTION_REASONS.unknownVideo,
        REJECTION_REASONS.sameVisibility,
        REJECTION_REASONS.failedVideo,
        REJECTION_REASONS.takenDown,
        REJECTION_REASONS.deleted,
      ],
      'each refused, saying why',
    );
    t.notOk(await eventOf(store, live.videoId, 'VideoVisibilityChanged'), 'nothing changed');
  },
);

scopedTest(
  'video-publishing visibility: a visibility that is none of the three is parked, never answered, and the next command goes on',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await accepted(store, component.commands);
    const bad = await writeCommand(store, {
      ...setVideoVisibilityControl(videoId, 'public', ownerId),
      data: { videoId, visibility: 'secret' },
    } as Message);
    await writeCommand(store, setVideoVisibilityControl(videoId, 'unlisted', ownerId));
    await drain(component.commands);

    t.deepEqual(
      await answersOf(store, videoId),
      [['VideoVisibilityChanged', { videoId, visibility: 'unlisted' }]],
      'only the valid one answered',
    );
    const [parked] = await store.readStream('deadLetter-components:video-publishing:commands');
    t.equal((parked?.data as { message: { id: string } }).message.id, bad.id, 'the bad one parked');
    t.match((parked?.data as { error: string }).error, /visibility/, 'saying what is wrong');
  },
);

scopedTest(
  'video-publishing visibility: SetVideoVisibility and UnpublishVideo delivered twice (or raced) have one effect',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const component = videoPublishing(scope, recording, videoStoreIn(await tempDir(scope)));
    const { videoId, ownerId } = await accepted(store, component.commands);
    await recordPublished(store, { videoId, ownerId });
    const commands: RawMessage[] = [];
    for (const command of [
      setVideoVisibilityControl(videoId, 'unlisted', ownerId),
      unpublishVideoControl(videoId, ownerId),
      setVideoVisibilityControl(videoId, 'public', ownerId),
    ]) {
      commands.push(await writeCommand(store, command));
    }
    for (const command of commands) await component.handlers.commands(command);
    const attempts = recording.attempts.length;
    for (const command of commands) await component.handlers.commands(command);
    t.equal(recording.attempts.length, attempts, 'the second deliveries found their answers and tried no write');

    const raced = await writeCommand(store, setVideoVisibilityControl(videoId, 'draft', ownerId));
    recording.holdWrites(2);
    // The loser meets its own answer's id taken (or the version it expected gone, and is retried).
    await Promise.allSettled([component.handlers.commands(raced), component.handlers.commands(raced)]);
    await component.handlers.commands(raced);
    t.deepEqual(
      (await typesOf(store, videoId)).slice(2),
      ['VideoVisibilityChanged', 'VideoUnpublished', 'VideoVisibilityChanged', 'VideoVisibilityChanged'],
      'one answer each, the raced one too (its retry found it)',
    );
  },
);
