import { randomUUID } from 'node:crypto';
import test from 'tape';
import { ADMIN_ACTIONS_CATEGORY, adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { MESSAGE_COLUMNS } from '../../src/message-queries/stored.ts';
import { pendingEntry, pendingParked } from '../../src/app/admin/shared/parked-pending.ts';
import type { Message } from '../../src/message-store/index.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

// The rule as it was first written (a NOT EXISTS per Parked message): the rewrite must agree with it.
const OLD_PENDING = `SELECT ${MESSAGE_COLUMNS} FROM messages p WHERE category(p.stream_name) = 'deadLetter' AND p.type = 'Parked'
  AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.stream_name = p.stream_name AND r.type = 'Replayed'
                    AND r.metadata->>'causationMessageGlobalPosition' = p.global_position::text)
  AND NOT EXISTS (SELECT 1 FROM messages d WHERE category(d.stream_name) = '${ADMIN_ACTIONS_CATEGORY}' AND d.type = 'ParkedMessageDiscarded'
                    AND d.metadata->>'causationMessageGlobalPosition' = p.global_position::text)
  ORDER BY p.global_position DESC`;

test('parked pending: settled by a Replayed in its own stream or a discard by any admin, as the first rule said, read in one pass', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const store = system.messageStore;
  const [one, two] = ['deadLetter-components:one', 'deadLetter-components:two'];
  const parked = async (stream: string): Promise<number> => {
    const data = {
      subscriberId: stream.slice('deadLetter-'.length),
      message: { id: randomUUID(), streamName: 'thing-1', position: 0, globalPosition: 1, type: 'Thing' },
      error: 'boom',
      attempts: 3,
    };
    const position = await store.write(stream, { id: randomUUID(), type: 'Parked', data, metadata: {} });
    return (await store.readStream(stream, { fromPosition: position, batchSize: 1 }))[0]!.globalPosition;
  };
  const about = (stream: string, globalPosition: number | string): Message['metadata'] => ({
    causationMessageStreamName: stream,
    causationMessagePosition: 0,
    causationMessageGlobalPosition: globalPosition as number,
  });
  const replayed = (stream: string, at: number | string, inStream = stream) =>
    store.write(inStream, { id: randomUUID(), type: 'Replayed', data: {}, metadata: about(stream, at) });
  const discarded = (adminId: string, at: number) =>
    store.write(adminActionsStreamName(adminId), {
      id: randomUUID(),
      type: 'ParkedMessageDiscarded',
      data: {},
      metadata: about(one, at),
    });

  const waiting = await parked(one);
  const replayedHere = await parked(one);
  await replayed(one, replayedHere);
  const replayedElsewhere = await parked(one);
  await replayed(one, replayedElsewhere, two); // a Replayed in another dead-letter stream settles nothing here
  const discardedByOne = await parked(two);
  await discarded(randomUUID(), discardedByOne);
  const discardedByAnother = await parked(two);
  await discarded(randomUUID(), discardedByAnother);
  const pointedAtAsText = await parked(two);
  await replayed(two, String(pointedAtAsText)); // the position written as a string still names it
  const otherType = await parked(two);
  await store.write(two, { id: randomUUID(), type: 'Noted', data: {}, metadata: about(two, otherType) });
  const sameNumberOtherKind = await parked(one);
  await store.write(adminActionsStreamName(randomUUID()), {
    id: randomUUID(),
    type: 'ParkedMessageReplayed',
    data: {},
    metadata: about(one, sameNumberOtherKind),
  });

  const expected = [sameNumberOtherKind, otherType, replayedElsewhere, waiting];
  const now = (await pendingParked(system.messageStorePool)).map((entry) => entry.parked.globalPosition);
  const before = (await system.messageStorePool.query<{ global_position: string }>(OLD_PENDING)).rows.map((row) =>
    Number(row.global_position),
  );
  t.deepEqual(
    now,
    expected,
    'waiting: the untouched, the one replayed from another stream, the one only noted, the one an admin replayed without the engine',
  );
  t.deepEqual(now, before, 'exactly what the first rule finds');
  t.deepEqual(
    (await pendingParked(system.messageStorePool, 2)).map((entry) => entry.parked.globalPosition),
    expected.slice(0, 2),
    'newest first, up to the limit',
  );
  for (const position of [
    waiting,
    replayedHere,
    replayedElsewhere,
    discardedByOne,
    discardedByAnother,
    pointedAtAsText,
    otherType,
    sameNumberOtherKind,
  ]) {
    t.equal(
      (await pendingEntry(system.messageStorePool, position))?.parked.globalPosition,
      expected.includes(position) ? position : undefined,
      `pendingEntry(${position}) agrees`,
    );
  }
});
