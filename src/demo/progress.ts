import { videoPublishingStreamName } from '../contracts/video-publishing.ts';
import type { MessageStore } from '../message-store/index.ts';
import { SAMPLE_VIDEOS } from './samples.ts';
import type { DemoSeeding } from './index.ts';

/** Where start-up's seeding run is: under way, done (its commands written), or given up. */
export type SeedingState = 'running' | 'finished' | 'skipped' | 'failed';

/** Start-up's seeding run, as the home page asks after it. */
export interface SeedingProgress {
  state(): SeedingState;
  /** When the run ended (ms since the epoch); undefined while it runs. */
  endedAt(): number | undefined;
  /** Follows `seeding` to its end; resolves as it does, rejects as it does. */
  track(seeding: Promise<DemoSeeding>): Promise<DemoSeeding>;
}

/** Created when demo content is on, before the server listens: 'running' from the start, so the home page never says "empty" in between. */
export function createSeedingProgress(now: () => number = Date.now): SeedingProgress {
  let state: SeedingState = 'running';
  let endedAt: number | undefined;
  return {
    state: () => state,
    endedAt: () => endedAt,
    async track(seeding) {
      try {
        const result = await seeding;
        state = result.skipped === undefined ? 'finished' : 'skipped';
        return result;
      } catch (error) {
        state = 'failed';
        throw error;
      } finally {
        endedAt = now();
      }
    },
  };
}

// The last of these in a sample's stream says where it stands; none yet: it is still converting.
const OUTCOMES = new Set([
  'VideoPublished',
  'VideoPublishingFailed',
  'VideoPublishingRejected',
  'VideoUnpublished',
  'VideoTakenDown',
]);

/** Still on its way to the catalog: no outcome yet, or published and the catalog not caught up. */
async function onItsWay(messageStore: MessageStore, videoId: string): Promise<boolean> {
  const events = await messageStore.readStream(videoPublishingStreamName(videoId));
  const outcome = events.findLast((event) => OUTCOMES.has(event.type));
  return outcome === undefined || outcome.type === 'VideoPublished';
}

/**
 * How long after the seeder the samples may take to be listed. Three clips of a few seconds
 * convert in well under a minute; past this, nothing is converting them (a process started with
 * --web and no worker, or a command parked), and a page refreshing for ever helps nobody.
 */
export const PREPARING_PATIENCE_MS = 10 * 60_000;

/**
 * Asked by the home page when its catalog is empty: are the demo videos being prepared? Yes
 * while the seeder runs, and after it while any sample is still converting (or published and
 * about to be listed). No once it failed or left a store with videos alone, once every sample
 * has failed or been withdrawn, or once PREPARING_PATIENCE_MS have passed since the seeder:
 * then the empty catalog is the truth, and the page says so.
 */
export function demoPreparing(
  seeding: SeedingProgress,
  messageStore: MessageStore,
  now: () => number = Date.now,
): () => Promise<boolean> {
  let settled = false;
  return async () => {
    const state = seeding.state();
    if (state === 'running') return true;
    if (state !== 'finished' || settled) return false;
    if (now() - (seeding.endedAt() ?? now()) > PREPARING_PATIENCE_MS) {
      settled = true;
      return false;
    }
    const waiting = await Promise.all(SAMPLE_VIDEOS.map((sample) => onItsWay(messageStore, sample.videoId)));
    settled = !waiting.some(Boolean);
    return !settled;
  };
}
