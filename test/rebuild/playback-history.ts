import { randomUUID } from 'node:crypto';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { playbackStreamName } from '../../src/contracts/playback.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import type { PersonalData } from '../../src/personal-data/seal.ts';

/**
 * Continue watching's messages: reports by three viewers (one who clears and watches again, one
 * erased after watching), so the playback projection has rows, a clear and an erasure to agree on.
 */
export async function writePlaybackHistory(
  store: MessageStore,
  personalData: PersonalData,
  videoIds: readonly string[],
): Promise<void> {
  const [ada, bob, cy] = [randomUUID(), randomUUID(), randomUUID()];
  const progressed = async (userId: string, videoId: string, positionSeconds: number) =>
    store.write(playbackStreamName(userId), {
      id: randomUUID(),
      type: 'PlaybackProgressed',
      data: { userId, videoId: await personalData.seal(userId, videoId), positionSeconds, durationSeconds: 600 },
      metadata: { userId },
    });
  const cleared = (userId: string) =>
    store.write(playbackStreamName(userId), {
      id: randomUUID(),
      type: 'PlaybackHistoryCleared',
      data: { userId },
      metadata: { userId },
    });
  for (const [index, videoId] of videoIds.entries()) {
    await progressed(ada, videoId, 10 + index);
    await progressed(ada, videoId, 100 + index);
    await progressed(bob, videoId, 200 + index);
    await progressed(cy, videoId, 300 + index);
  }
  await cleared(bob);
  await progressed(bob, videoIds[0]!, 42);
  await cleared(cy);
  await personalData.erase(cy);
  await store.write(identityStreamName(cy), {
    id: randomUUID(),
    type: 'UserErased',
    data: { userId: cy, by: cy },
    metadata: {},
  });
}
