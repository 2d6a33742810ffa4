import type { RawMessage } from '../../../message-store/index.ts';

/** One video waiting for a transcoder, or being transcoded: its VideoPublishingAccepted, as read. */
export interface QueuedVideo {
  readonly videoId: string;
  readonly ownerId: string;
  readonly accepted: RawMessage;
}

/** How much one creator may have in hand at once, in this process. */
export interface CreatorQuota {
  /** Transcoding at the same time. */
  readonly running: number;
  /** Waiting for a transcoder, beyond those running. */
  readonly queued: number;
}

export const DEFAULT_CREATOR_QUOTA: CreatorQuota = { running: 1, queued: 3 };

export interface TranscodeQueue {
  /** Whether the owner may have one more video in hand (queued or running) under the quota. */
  admits(ownerId: string): boolean;
  /** Queues a video once (a second add of the same video, queued or running, changes nothing). */
  add(video: QueuedVideo): void;
  has(videoId: string): boolean;
  /**
   * A video that got its outcome elsewhere (taken down, unpublished): a queued one is no longer
   * waited for; a running one is cancelled (onCancel) and stays in hand until its worker is done.
   */
  drop(videoId: string): void;
  /**
   * The next video to transcode, taken out of the queue as running: the creator served least
   * recently, among those with a video waiting and fewer running than the quota allows, goes
   * first, and each creator's own videos go in the order they came. Undefined when nothing can
   * run now.
   */
  take(): QueuedVideo | undefined;
  /** A running video is finished with (published, failed, or parked). */
  done(videoId: string): void;
  /** The global position of the oldest acceptance queued or running: what a restart must read again. */
  oldest(): number | undefined;
  /** Queued and running, for status and tests. */
  counts(): { queued: number; running: number };
  /** Called after every change that may let a waiting worker take something. */
  onChange(listener: () => void): () => void;
  /** Called with a running video's id when it is dropped: its work is no longer wanted. */
  onCancel(listener: (videoId: string) => void): () => void;
}

interface Creator {
  readonly queued: QueuedVideo[];
  running: number;
}

/**
 * The transcoding queue of one process, in memory. It is not the record of what is waiting:
 * the events are. The subscription that fills it keeps its stored position below oldest(), so
 * after a restart it reads every video still in hand again and the queue is rebuilt (see
 * docs/architecture.md, "Fair transcoding").
 */
export function createTranscodeQueue(quota: CreatorQuota = DEFAULT_CREATOR_QUOTA): TranscodeQueue {
  for (const [name, value] of Object.entries(quota)) {
    if (!Number.isInteger(value) || value < (name === 'running' ? 1 : 0))
      throw new Error(
        `creator quota ${name} must be a whole number (at least ${name === 'running' ? 1 : 0}), not ${value}`,
      );
  }
  const creators = new Map<string, Creator>();
  const inHand = new Map<string, QueuedVideo & { running: boolean }>();
  // When each creator was last given a transcoder (a counter, not a clock); kept after their
  // queue empties, so coming back does not put them ahead of those who waited meanwhile.
  const lastServed = new Map<string, number>();
  let serving = 0;
  const listeners = new Set<() => void>();
  const cancelListeners = new Set<(videoId: string) => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };

  const creatorOf = (ownerId: string): Creator => {
    let creator = creators.get(ownerId);
    if (!creator) creators.set(ownerId, (creator = { queued: [], running: 0 }));
    return creator;
  };
  const forgetIfIdle = (ownerId: string) => {
    const creator = creators.get(ownerId);
    if (creator && creator.queued.length === 0 && creator.running === 0) creators.delete(ownerId);
  };

  return {
    admits(ownerId) {
      const creator = creators.get(ownerId);
      return creator === undefined || creator.queued.length + creator.running < quota.running + quota.queued;
    },
    add(video) {
      if (inHand.has(video.videoId)) return;
      inHand.set(video.videoId, { ...video, running: false });
      creatorOf(video.ownerId).queued.push(video);
      changed();
    },
    has: (videoId) => inHand.has(videoId),
    drop(videoId) {
      const video = inHand.get(videoId);
      if (!video) return;
      if (video.running) {
        for (const listener of cancelListeners) listener(videoId);
        return;
      }
      inHand.delete(videoId);
      const creator = creators.get(video.ownerId)!;
      creator.queued.splice(
        creator.queued.findIndex((queued) => queued.videoId === videoId),
        1,
      );
      forgetIfIdle(video.ownerId);
      changed();
    },
    take() {
      let next: { ownerId: string; creator: Creator; served: number } | undefined;
      for (const [ownerId, creator] of creators) {
        if (creator.queued.length === 0 || creator.running >= quota.running) continue;
        // Never served counts as served longest ago; among equals, map order is arrival order.
        const served = lastServed.get(ownerId) ?? -1;
        if (!next || served < next.served) next = { ownerId, creator, served };
      }
      if (!next) return undefined;
      const video = next.creator.queued.shift()!;
      next.creator.running += 1;
      inHand.get(video.videoId)!.running = true;
      lastServed.set(next.ownerId, (serving += 1));
      return video;
    },
    done(videoId) {
      const video = inHand.get(videoId);
      if (!video?.running) return;
      inHand.delete(videoId);
      creators.get(video.ownerId)!.running -= 1;
      forgetIfIdle(video.ownerId);
      changed();
    },
    oldest() {
      let oldest: number | undefined;
      for (const { accepted } of inHand.values())
        if (oldest === undefined || accepted.globalPosition < oldest) oldest = accepted.globalPosition;
      return oldest;
    },
    counts() {
      let running = 0;
      for (const video of inHand.values()) if (video.running) running += 1;
      return { queued: inHand.size - running, running };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onCancel(listener) {
      cancelListeners.add(listener);
      return () => cancelListeners.delete(listener);
    },
  };
}
