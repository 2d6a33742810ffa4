import { randomUUID } from 'node:crypto';
import { REJECTION_REASONS, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import {
  commandMetadata,
  describeVideoControl,
  nameVideoControl,
  publishVideoControl,
  unpublishVideoControl,
} from '../../src/components/video-publishing/controls.ts';
import { videoProjection } from '../../src/components/video-publishing/video.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { recordingStore } from '../fixtures/identity-controls.ts';
import {
  eventsOf,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import { tempDir } from '../fixtures/video-sources.ts';

// These tests are about the commands, not transcoding: only the command subscriber runs.

async function setUp(scope: Scope, wrap: (store: MessageStore) => MessageStore = (store) => store) {
  const { store } = openMemoryStore(scope);
  const component = videoPublishing(scope, wrap(store), videoStoreIn(await tempDir(scope)));
  return { store, component };
}

/** A video accepted for publishing, owned by a new user. */
async function acceptedVideo(store: MessageStore, commands: { tick(): Promise<number> }) {
  const publish = publishVideoControl();
  await writeCommand(store, publish);
  while ((await commands.tick()) > 0);
  return publish.data;
}

const nameOf = async (store: MessageStore, videoId: string) =>
  (await store.project(videoPublishingStreamName(videoId), videoProjection)).state.name;

const answers = async (store: MessageStore, videoId: string) =>
  (await eventsOf(store, videoId))
    .filter((event) => event.type !== 'VideoPublishingAccepted')
    .map((event) => [event.type, event.data]);

scopedTest(
  'video-publishing: three renames queued in a row are each answered, and the video ends with the third name',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    component.commands.start();
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    await writeCommand(store, publish);
    for (const name of ['Draft', 'Better draft', 'Final name'])
      await writeCommand(store, nameVideoControl(videoId, name, ownerId));

    await waitUntil(
      'three names',
      async () => (await typesOf(store, videoId)).filter((type) => type === 'VideoNamed').length === 3,
    );
    t.deepEqual(
      await answers(store, videoId),
      ['Draft', 'Better draft', 'Final name'].map((name) => ['VideoNamed', { videoId, name }]),
      'in the order they were sent',
    );
    t.equal(await nameOf(store, videoId), 'Final name', 'the last is the name');
  },
);

scopedTest(
  'video-publishing: only the owner may rename, describe or unpublish; others are rejected and nothing changes',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await acceptedVideo(store, component.commands);
    const stranger = randomUUID();
    await writeCommand(store, nameVideoControl(videoId, 'Mine', ownerId));
    await writeCommand(store, nameVideoControl(videoId, 'Hijacked', stranger));
    await writeCommand(store, describeVideoControl(videoId, 'Hijacked', stranger));
    await writeCommand(store, unpublishVideoControl(videoId, stranger));
    await drain(component.commands);

    const reason = REJECTION_REASONS.notOwner;
    t.deepEqual(
      await answers(store, videoId),
      [
        ['VideoNamed', { videoId, name: 'Mine' }],
        ['VideoNameRejected', { videoId, name: 'Hijacked', reason }],
        ['VideoDescriptionRejected', { videoId, description: 'Hijacked', reason }],
        ['VideoUnpublishRejected', { videoId, reason }],
      ],
      "the stranger's commands are rejected as not the owner's",
    );
    t.equal(await nameOf(store, videoId), 'Mine', 'the name is unchanged');
  },
);

scopedTest(
  'video-publishing: a PublishVideo in someone else’s name, or for another video’s upload, is rejected and the owner can still publish',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const owner = randomUUID();
    const stranger = randomUUID();
    const videoId = randomUUID();
    const otherVideo = randomUUID();
    // A stranger names the owner as owner (and so would publish in their name), or publishes the owner's upload as their own.
    const inTheirName = publishVideoControl({ videoId, ownerId: owner }, commandMetadata(stranger));
    const othersUpload = publishVideoControl({
      videoId: otherVideo,
      ownerId: stranger,
      sourceUri: uriOfKey(videoKeys.source(videoId)),
    });
    await writeCommand(store, inTheirName);
    await writeCommand(store, othersUpload);
    await drain(component.commands);

    t.deepEqual(
      await answers(store, videoId),
      [['VideoPublishingRejected', { ...inTheirName.data, reason: REJECTION_REASONS.publishForSomeoneElse }]],
      'ownerId must be the sender',
    );
    t.deepEqual(
      await answers(store, otherVideo),
      [['VideoPublishingRejected', { ...othersUpload.data, reason: REJECTION_REASONS.publishOtherUpload }]],
      'the source must be the video’s own upload',
    );
    t.deepEqual(await typesOf(store, otherVideo), ['VideoPublishingRejected'], 'nothing accepted');

    await writeCommand(store, publishVideoControl({ videoId, ownerId: owner }));
    await drain(component.commands);
    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingRejected', 'VideoPublishingAccepted'],
      'the rejection did not take the video from its owner',
    );
  },
);

scopedTest(
  'video-publishing: names that are blank, longer than 200 characters, more than one line, with invisible formatting, unchanged, or for no video are rejected',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await acceptedVideo(store, component.commands);
    const longest = 'é'.repeat(200);
    const sent = ['   ', '', 'x'.repeat(201), 'Line one\nLine two', 'Knots \u202Edaer', `  ${longest}  `, longest];
    for (const name of sent) await writeCommand(store, nameVideoControl(videoId, name, ownerId));
    const unknownVideo = randomUUID();
    await writeCommand(store, nameVideoControl(unknownVideo, 'Nothing to name', ownerId));
    await drain(component.commands);

    t.deepEqual(
      await answers(store, videoId),
      [
        ['VideoNameRejected', { videoId, name: '   ', reason: REJECTION_REASONS.blankName }],
        ['VideoNameRejected', { videoId, name: '', reason: REJECTION_REASONS.blankName }],
        ['VideoNameRejected', { videoId, name: 'x'.repeat(201), reason: REJECTION_REASONS.nameTooLong }],
        ['VideoNameRejected', { videoId, name: 'Line one\nLine two', reason: REJECTION_REASONS.nameNotOneLine }],
        ['VideoNameRejected', { videoId, name: 'Knots \u202Edaer', reason: REJECTION_REASONS.nameInvisible }],
        ['VideoNamed', { videoId, name: longest }],
        ['VideoNameRejected', { videoId, name: longest, reason: REJECTION_REASONS.unchangedName }],
      ],
      '200 characters (counted as a person counts them, trimmed) is allowed; the rest say why not',
    );
    t.deepEqual(
      await answers(store, unknownVideo),
      [
        [
          'VideoNameRejected',
          { videoId: unknownVideo, name: 'Nothing to name', reason: REJECTION_REASONS.unknownVideo },
        ],
      ],
      'a video that was never published cannot be named',
    );
  },
);

scopedTest(
  'video-publishing: a description may be up to 5 000 characters, or empty to clear it; more, or the same again, is rejected',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await acceptedVideo(store, component.commands);
    const longest = `Line one\n\n${'y'.repeat(4_990)}`;
    for (const description of [longest, longest, `${longest}z`, ''])
      await writeCommand(store, describeVideoControl(videoId, description, ownerId));
    await drain(component.commands);

    t.deepEqual(await answers(store, videoId), [
      ['VideoDescribed', { videoId, description: longest }],
      ['VideoDescriptionRejected', { videoId, description: longest, reason: REJECTION_REASONS.unchangedDescription }],
      [
        'VideoDescriptionRejected',
        { videoId, description: `${longest}z`, reason: REJECTION_REASONS.descriptionTooLong },
      ],
      ['VideoDescribed', { videoId, description: '' }],
    ]);
  },
);

scopedTest(
  'video-publishing: UnpublishVideo makes a converted video a draft; one not (yet) converted, or a draft already, is refused',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await acceptedVideo(store, component.commands);
    await writeCommand(store, unpublishVideoControl(videoId, ownerId));
    await drain(component.commands);
    // As the transcoder would have written it: these tests do not transcode.
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
    await writeCommand(store, unpublishVideoControl(videoId, ownerId));
    await writeCommand(store, unpublishVideoControl(videoId, ownerId));
    await drain(component.commands);

    t.deepEqual(
      (await answers(store, videoId)).filter(([type]) => type !== 'VideoPublished'),
      [
        ['VideoUnpublishRejected', { videoId, reason: REJECTION_REASONS.notConverted }],
        ['VideoUnpublished', { videoId }],
        ['VideoUnpublishRejected', { videoId, reason: REJECTION_REASONS.sameVisibility }],
      ],
      'still transcoding: rejected; converted: a draft; again: it is a draft already',
    );
    const { state } = await store.project(videoPublishingStreamName(videoId), videoProjection);
    t.deepEqual(
      [state.status, state.visibility],
      ['published', 'draft'],
      'still converted, as a draft its owner can make public again',
    );
  },
);

scopedTest(
  'video-publishing: every command handled twice has one effect, and the second time writes nothing at all',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const component = videoPublishing(scope, recording, videoStoreIn(await tempDir(scope)));
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    const commands: RawMessage[] = [];
    for (const command of [
      publish,
      nameVideoControl(videoId, 'A name', ownerId),
      describeVideoControl(videoId, 'About it', ownerId),
      unpublishVideoControl(videoId, ownerId),
      nameVideoControl(videoId, '', ownerId),
    ]) {
      commands.push(await writeCommand(store, command));
    }
    for (const command of commands) await component.handlers.commands(command);
    const before = await typesOf(store, videoId);
    const attempts = recording.attempts.length;
    for (const command of commands) await component.handlers.commands(command);

    t.deepEqual(
      before,
      ['VideoPublishingAccepted', 'VideoNamed', 'VideoDescribed', 'VideoUnpublishRejected', 'VideoNameRejected'],
      'one answer each (accepted, named, described, rejected, rejected)',
    );
    t.deepEqual(await typesOf(store, videoId), before, 'the same after the second round');
    t.equal(recording.attempts.length, attempts, 'each found its answer and did not even try to write');
  },
);
