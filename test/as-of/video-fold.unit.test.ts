import test from 'tape';
import { ENTITY_KINDS, type Field } from '../../src/as-of/index.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { createMemoryMessageStore } from '../helpers/memory-message-store.ts';

const valueOf = (fields: readonly Field[], label: string) => fields.find((field) => field.label === label)?.value;

// Every video-publishing event is a decision in the as-of fold (no default branch): these two
// once fell through to "nothing changed".
test('as of, a video: a refused upload says so and whose it was; a changed poster shows', async (t) => {
  const store = createMemoryMessageStore();
  const refused = newVideo();
  const refusedMessages = await writeEvents(store, refused, {
    id: crypto.randomUUID(),
    type: 'VideoPublishingRejected',
    data: {
      videoId: refused.videoId,
      ownerId: refused.ownerId,
      sourceUri: 'video-store:sources/x.mp4',
      reason: 'the file is not a video',
    },
    metadata: {},
  });
  const refusedState = ENTITY_KINDS.video!.fold(refusedMessages);
  t.equal(valueOf(refusedState.fields, 'Status'), 'rejected: the file is not a video', 'refused, with the reason');
  t.equal(valueOf(refusedState.fields, 'Owner'), refused.ownerId, 'and whose upload it was');

  const video = newVideo();
  const published = await writeEvents(store, video, controls.accepted(video), controls.published(video));
  const posterAtFirst = valueOf(ENTITY_KINDS.video!.fold(published).fields, 'Poster');
  t.ok(posterAtFirst?.startsWith('video-store:'), `the poster made when it was published (${posterAtFirst})`);
  const changed = await writeEvents(store, video, controls.posterChanged(video, 'video-store:posters/chosen.jpg'));
  t.equal(
    valueOf(ENTITY_KINDS.video!.fold([...published, ...changed]).fields, 'Poster'),
    'video-store:posters/chosen.jpg',
    'the one its creator chose',
  );
});

// The component ignores a refused PublishVideo once a video is accepted ("a forged or mistaken
// PublishVideo must not take the video from the one who uploaded it"): the as-of view must agree.
test('as of, a video: a PublishVideo refused after the upload was accepted changes neither its status nor its owner', async (t) => {
  const store = createMemoryMessageStore();
  const video = newVideo();
  const stranger = crypto.randomUUID();
  const refusedLater = (reason: string) => ({
    id: crypto.randomUUID(),
    type: 'VideoPublishingRejected',
    data: { videoId: video.videoId, ownerId: stranger, sourceUri: 'video-store:sources/x.mp4', reason },
    metadata: {},
  });
  const published = await writeEvents(
    store,
    video,
    controls.accepted(video),
    controls.published(video),
    refusedLater('a PublishVideo for someone else'),
  );
  const fields = ENTITY_KINDS.video!.fold(published).fields;
  t.equal(valueOf(fields, 'Status'), 'published', 'still published');
  t.equal(valueOf(fields, 'Owner'), video.ownerId, 'still its uploader’s');
  t.equal(
    valueOf(fields, 'Last rejected change'),
    'VideoPublishingRejected: a PublishVideo for someone else',
    'the refusal shown as a rejected change',
  );

  const deleted = await writeEvents(store, video, controls.deleted(video), refusedLater('the video was deleted'));
  t.equal(
    valueOf(ENTITY_KINDS.video!.fold([...published, ...deleted]).fields, 'Status'),
    'deleted',
    'a deleted video posted again stays deleted',
  );
});
