import type { MessageStore, RawMessage } from '../message-store/index.ts';
import { isWithin, type Point } from './point.ts';

const BATCH = 1000;

/**
 * The messages of `streams` that are within any of `points`, merged in global order. A stream is
 * read in batches and no further than the points reach, so a long stream costs only what the
 * question needs. (Within a stream both positions and times grow, so the first message past
 * every point ends that stream.)
 */
export async function readHistory(
  messageStore: MessageStore,
  streams: readonly string[],
  points: readonly Point[],
): Promise<RawMessage[]> {
  const within = (message: RawMessage) => points.some((point) => isWithin(point, message));
  const all: RawMessage[] = [];
  for (const stream of streams) {
    let from = 0;
    for (;;) {
      const batch = await messageStore.readStream(stream, { fromPosition: from, batchSize: BATCH });
      const kept = batch.filter(within);
      all.push(...kept);
      if (batch.length < BATCH || kept.length < batch.length) break;
      from = batch.at(-1)!.position + 1;
    }
  }
  return all.sort((a, b) => a.globalPosition - b.globalPosition);
}
