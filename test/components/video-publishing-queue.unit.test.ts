import { randomUUID } from 'node:crypto';
import test from 'tape';
import {
  createTranscodeQueue,
  type QueuedVideo,
} from '../../src/components/video-publishing/scheduling/transcode-queue.ts';
import type { RawMessage } from '../../src/message-store/index.ts';

// The transcoding queue on its own: who goes next, and what it holds back.

let position = 100;
function video(ownerId: string, name: string): QueuedVideo & { name: string } {
  position += 1;
  const videoId = randomUUID();
  const accepted: RawMessage = {
    id: randomUUID(),
    type: 'VideoPublishingAccepted',
    data: { ownerId, videoId },
    metadata: {},
    streamName: `videoPublishing-${videoId}`,
    position: 0,
    globalPosition: position,
    time: new Date(),
  };
  return { videoId, ownerId, accepted, name };
}

const names = new Map<string, string>();
function named(entry: (QueuedVideo & { name: string }) | QueuedVideo | undefined): string | undefined {
  return entry && ('name' in entry ? entry.name : names.get(entry.videoId));
}

test('transcode queue: creators are taken in turn, not in the order their videos came', (t) => {
  const queue = createTranscodeQueue({ running: 1, queued: 3 });
  const [a1, a2, a3] = [video('ada', 'A1'), video('ada', 'A2'), video('ada', 'A3')];
  queue.add(a1);
  const first = queue.take();
  t.equal(named(first), 'A1', 'the first video runs at once');
  queue.add(a2);
  queue.add(a3);
  queue.add(video('bob', 'B1'));
  // One transcoder: it takes the next only once A1 is done.
  queue.done(a1.videoId);
  const order: Array<string | undefined> = [];
  for (let next = queue.take(); next; next = queue.take()) {
    order.push(named(next));
    queue.done(next.videoId);
  }
  t.deepEqual(order, ['B1', 'A2', 'A3'], 'Bob, who came last but was not served, before Ada’s second');
  t.deepEqual(queue.counts(), { queued: 0, running: 0 }, 'empty');
  t.end();
});

test('transcode queue: with two transcoders, two creators run side by side, and one creator never has two running', (t) => {
  const queue = createTranscodeQueue({ running: 1, queued: 3 });
  for (const entry of [video('ada', 'A1'), video('ada', 'A2'), video('bob', 'B1'), video('cy', 'C1')]) queue.add(entry);
  const running = [queue.take(), queue.take()];
  t.deepEqual(running.map(named), ['A1', 'B1'], 'one of Ada’s and one of Bob’s');
  t.equal(named(queue.take()), 'C1', 'a third transcoder would take Cy’s, not Ada’s second');
  t.equal(queue.take(), undefined, 'and nothing else may run');
  t.end();
});

test('transcode queue: a creator coming back does not jump those who waited meanwhile', (t) => {
  const queue = createTranscodeQueue({ running: 1, queued: 3 });
  const a1 = video('ada', 'A1');
  const b1 = video('bob', 'B1');
  queue.add(a1);
  queue.add(b1);
  queue.take();
  queue.done(a1.videoId);
  const b = queue.take();
  queue.add(video('cy', 'C1'));
  queue.add(video('ada', 'A2'));
  queue.done(b1.videoId);
  t.equal(named(b), 'B1');
  t.equal(named(queue.take()), 'C1', 'Cy, never served, before Ada, served already');
  t.end();
});

test('transcode queue: a creator may have as many videos in hand as the quota says, running and waiting together', (t) => {
  const queue = createTranscodeQueue({ running: 1, queued: 2 });
  for (const name of ['A1', 'A2', 'A3']) {
    t.ok(queue.admits('ada'), `room for ${name}`);
    queue.add(video('ada', name));
  }
  t.notOk(queue.admits('ada'), 'not for a fourth');
  t.ok(queue.admits('bob'), 'another creator has room');
  const running = queue.take()!;
  t.notOk(queue.admits('ada'), 'a running one still counts');
  queue.done(running.videoId);
  t.ok(queue.admits('ada'), 'a finished one does not');
  t.throws(
    () => createTranscodeQueue({ running: 0, queued: 3 }),
    /running must be a whole number \(at least 1\)/,
    'none running is no queue',
  );
  t.end();
});

test('transcode queue: the oldest acceptance queued or running is what a restart must read again; a video is held once', (t) => {
  const queue = createTranscodeQueue({ running: 1, queued: 3 });
  t.equal(queue.oldest(), undefined, 'nothing held back when empty');
  const [a1, a2, b1] = [video('ada', 'A1'), video('ada', 'A2'), video('bob', 'B1')];
  queue.add(a1);
  queue.add(a2);
  queue.add(a1);
  t.deepEqual(queue.counts(), { queued: 2, running: 0 }, 'the same video added twice (a redelivery) is queued once');
  const taken = queue.take()!;
  queue.add(taken);
  t.deepEqual(queue.counts(), { queued: 1, running: 1 }, 'and a running one is not queued again');
  queue.add(b1);
  t.equal(queue.oldest(), a1.accepted.globalPosition, 'the running one is the oldest');
  queue.done(a1.videoId);
  t.equal(queue.oldest(), a2.accepted.globalPosition, 'then the first still waiting');
  queue.drop(a2.videoId);
  t.equal(
    queue.oldest(),
    b1.accepted.globalPosition,
    'a queued video that got its outcome elsewhere is no longer held',
  );
  const b = queue.take()!;
  queue.drop(b.videoId);
  t.equal(
    queue.oldest(),
    b1.accepted.globalPosition,
    'a running one is held until done, whatever is recorded meanwhile',
  );
  let changes = 0;
  const stop = queue.onChange(() => (changes += 1));
  queue.done(b.videoId);
  stop();
  queue.add(video('cy', 'C1'));
  t.equal(changes, 1, 'a listener hears each change until it stops listening');
  t.end();
});
