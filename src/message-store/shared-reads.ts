import type { AllMessagesReader } from './read-all.ts';
import { DEFAULT_CATEGORY_BATCH } from './read.ts';
import type { CategoryReadOptions, RawMessage } from './types.ts';
import { ANY_CATEGORY } from './write-signals.ts';

/** What a read returned: `waiting` when the all-categories reader stopped at a gap still in flight. */
interface ReadResult {
  readonly messages: RawMessage[];
  readonly waiting: boolean;
}

interface Entry {
  readonly size: number;
  /** The writes to the category seen when the read began: a read begun before a write cannot show it. */
  readonly generation: number;
  readonly result: Promise<ReadResult>;
  settled?: ReadResult;
}

/** What a store offers for subscribers' reads; the shared store hands out the same shape. */
export interface SubscriberReads {
  readCategory(category: string, options?: CategoryReadOptions): Promise<RawMessage[]>;
  allMessagesReader(): AllMessagesReader;
  onWrite(category: string, listener: () => void): () => void;
}

/**
 * Recent reads kept per kind of read (a category with its correlation and consumer group, or
 * every category): enough for subscribers in step with each other to share them, not a cache of
 * the store. A few per kind, the newest kept.
 */
const KEPT_PER_KIND = 4;
const EVERY_CATEGORY = '$all';

/**
 * Reads of one process's subscribers shared: every subscriber of a category (four read the
 * viewing category) reads the same batches from the same position, so one read per batch is
 * handed to each, and the readers of every category share theirs too. Each subscriber still keeps
 * its own position and transaction: one behind, or parked, reads its own batches from its own
 * position and holds no other back.
 *
 * What may be shared:
 * * a full batch (as many messages as asked for, no gap waited at), to anyone asking from the same
 *   position for as many or fewer: those messages are there for good. Within a category Message
 *   DB commits in position order (its category lock), and the all-categories reader never passes
 *   a gap a transaction in flight may fill (read-all.ts), so no message can appear among them later;
 * * any read still in flight, to anyone asking the same while no write to its category has been
 *   signalled since it began. A read begun before a write may not show it, and the subscriber woken
 *   by that write must look again, not take an answer that was already on its way. Writes are
 *   counted as they are signalled to the subscribers listening through this store (onWrite).
 * A short batch (caught up), a gap, or a failure is not kept once it has answered.
 */
export function withSharedReads<Store extends SubscriberReads>(store: Store): Store {
  const kinds = new Map<string, Map<number, Entry>>();
  const generations = new Map<string, number>();
  const wakers = new Map<string, { readonly listeners: Set<() => void>; readonly stop: () => void }>();

  /**
   * One listener of the store per category, which counts the write before it wakes anyone: every
   * subscriber woken by a write finds it counted, and those woken together may share the read
   * the first of them begins.
   */
  function onWrite(category: string, listener: () => void): () => void {
    let listening = wakers.get(category);
    if (!listening) {
      const listeners = new Set<() => void>();
      const stop = store.onWrite(category, () => {
        generations.set(category, (generations.get(category) ?? 0) + 1);
        for (const wake of listeners) wake();
      });
      wakers.set(category, (listening = { listeners, stop }));
    }
    const { listeners, stop } = listening;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || wakers.get(category) !== listening) return;
      wakers.delete(category);
      stop();
    };
  }

  const generationOf = (category: string): number => generations.get(category) ?? 0;

  function sliced(result: ReadResult, size: number): ReadResult {
    return result.messages.length <= size ? result : { messages: result.messages.slice(0, size), waiting: false };
  }

  async function shared(
    kind: string,
    category: string,
    from: number,
    size: number,
    read: () => Promise<ReadResult>,
  ): Promise<ReadResult> {
    const generation = generationOf(category);
    let entries = kinds.get(kind);
    if (!entries) kinds.set(kind, (entries = new Map()));
    const entry = entries.get(from);
    if (entry && size <= entry.size) {
      if (entry.settled) return sliced(entry.settled, size);
      if (entry.generation === generation) return sliced(await entry.result, size);
    }
    const result = read();
    const mine: Entry = { size, generation, result };
    entries.set(from, mine);
    while (entries.size > KEPT_PER_KIND) entries.delete(entries.keys().next().value as number);
    let answer: ReadResult;
    try {
      answer = await result;
    } catch (error) {
      if (entries.get(from) === mine) entries.delete(from);
      throw error;
    }
    const full = answer.messages.length === size && !answer.waiting;
    if (entries.get(from) === mine) {
      if (full) mine.settled = answer;
      else entries.delete(from);
    }
    return answer;
  }

  return {
    ...store,
    onWrite,
    async readCategory(category, options = {}) {
      const { fromPosition = 1, batchSize = DEFAULT_CATEGORY_BATCH, correlation, consumerGroup } = options;
      const kind = JSON.stringify([category, correlation, consumerGroup?.member, consumerGroup?.size]);
      const { messages } = await shared(kind, category, fromPosition, batchSize, async () => ({
        messages: await store.readCategory(category, options),
        waiting: false,
      }));
      return messages;
    },
    // Each caller keeps its own reader, and with it the gaps it is waiting at; what they read is shared.
    allMessagesReader() {
      const own = store.allMessagesReader();
      return {
        read: (fromPosition, batchSize) =>
          shared(EVERY_CATEGORY, ANY_CATEGORY, fromPosition, batchSize, () => own.read(fromPosition, batchSize)),
      };
    },
  };
}
