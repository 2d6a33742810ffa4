import type { Logger } from '../../../logger.ts';
import type { RawMessage } from '../../../message-store/index.ts';
import type { ComponentProcessor, ReplayOutcome } from '../../../subscription/component-processor.ts';
import type { ProcessorContext } from '../../../subscription/processor.ts';
import type { RetryPolicy } from '../../../subscription/retry.ts';

/**
 * Hands a Parked message back to the processor of the subscriber that parked it (which writes
 * Replayed, re-reads the original by its reference and handles it, parking it anew if it still
 * fails). Undefined when this process has no processor for that subscriber.
 */
export type ReplayParked = (subscriberId: string, parked: RawMessage) => Promise<ReplayOutcome | undefined>;

/** What the parked section takes beyond AdminDeps. */
export interface ParkedDeps {
  /** Without it the page lists and discards, and says that replay is not wired in this process. */
  readonly replayParked?: ReplayParked;
}

/**
 * A ReplayParked over the component processors a system builds, for the composition root.
 * A replay runs with its own context (not the running subscription's: its stop signal and
 * counters belong to its loop), under the given retry policy.
 */
export function replayThroughProcessors(
  processors: Iterable<readonly [subscriberId: string, processor: ComponentProcessor]>,
  { retry, logger }: { readonly retry: RetryPolicy; readonly logger: Logger },
): ReplayParked {
  const bySubscriber = new Map(processors);
  return async (subscriberId, parked) => {
    const processor = bySubscriber.get(subscriberId);
    if (!processor) return undefined;
    const context: ProcessorContext = {
      signal: new AbortController().signal,
      retry,
      logger: logger.child({ subscriberId, replay: parked.globalPosition }),
      stats: {
        handled: 0,
        retries: 0,
        parked: 0,
        skipped: 0,
        checkpoint: 0,
        failure: undefined,
        lastSkipped: undefined,
      },
    };
    return processor.replay(parked, context);
  };
}
