import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import { isInfrastructureError, isPermanent, isResourceExhausted } from '../../../subscription/retry.ts';
import type { VideoStore } from '../../../video-store/index.ts';
import { videoPublishingStreamName, type VideoPublishingEvent } from '../../../contracts/video-publishing.ts';
import { answerId } from '../ids.ts';
import type { TranscodeLimits } from '../media/limits.ts';
import { ToolInterruptedError } from '../media/run-tool.ts';
import { prepareVideo, type MediaTools, type Preparation } from '../prepare-video.ts';
import { isErased } from '../admin-role.ts';
import { isSettled, videoProjection } from '../video.ts';
import { createOutcomes } from './outcomes.ts';

type Accepted = Recorded<Extract<VideoPublishingEvent, { type: 'VideoPublishingAccepted' }>>;

export interface TranscodingDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly videoStore: VideoStore;
  readonly tools: MediaTools;
  /** Aborted when the transcoders stop: the running ffmpeg is killed and nothing is written. */
  readonly signal: AbortSignal;
  readonly progressIntervalMs: number;
  readonly limits: TranscodeLimits;
  /** How often a transcode is tried (the retry policy's attempts): the last failure of a started one is written as the video's. */
  readonly retryAttempts: number;
}

/**
 * Why a video accepted before its creator's erasure is not published: the erasure takes down the
 * videos the admin portal lists, and one accepted moments before may not be listed yet.
 */
export const ERASED_OWNER_REASON = 'The account that uploaded this video was erased, so it was not published.';

/** What the creator reads when the fault was ours and retrying did not mend it: a new upload may well succeed. */
export const OUR_SIDE_REASON = 'The video could not be converted because of a problem on our side. Please try again.';

/**
 * Transcodes a VideoPublishingAccepted taken from the queue: probes, transcodes and takes a
 * poster, then writes VideoPublished or VideoPublishingFailed. Runs on the transcode workers,
 * never on a subscriber of commands, so a long transcode holds up no rename. A video that
 * already has an outcome is left alone, so a redelivered or replayed event publishes nothing
 * twice; a video caught mid-transcode by a crash or stop has none, and is transcoded again
 * from the start.
 *
 * Once VideoTranscodingStarted is written the creator's page shows "converting", so the video
 * should end published or failed: a fault of ours (ffmpeg killed, a poster that will not come)
 * is thrown for the worker to retry, and its last attempt is written as VideoPublishingFailed
 * instead of being parked. The machine running short (a full or read-only disk, no memory) is
 * thrown without counting, never the video's failure: the worker waits it out, and the upload
 * is kept. Only a stop, the message store being down, or a shortage that outlasts its window
 * (parked for an operator) leaves a started video without an outcome; all come back to it.
 */
export function createTranscodingHandlers(deps: TranscodingDeps): HandlerMap<VideoPublishingEvent> {
  const { messageStore, logger, signal, videoStore } = deps;
  const outcomes = createOutcomes({ messageStore, videoStore });
  // Failed attempts per VideoPublishingAccepted id, as the worker retries it. In memory:
  // a restart begins the count again, as it begins the transcode again.
  const failedAttempts = new Map<string, number>();

  /**
   * After a thrown attempt: its files go (never the upload), unless another transcoder has
   * published them meanwhile; a video deleted meanwhile loses all of them (a deletion cancels
   * its transcode, which lands here).
   */
  async function discardAttempt(stream: string, videoId: string, sourceUri: string, log: Logger): Promise<void> {
    try {
      const { state } = await messageStore.project(stream, videoProjection);
      if (!isSettled(state)) await outcomes.removeOutputs(videoId);
      else await outcomes.tidy(state, videoId, sourceUri);
    } catch (error) {
      // The attempt's own error is the one to report; these files are overwritten by the next.
      log.warn({ err: error }, 'files of a failed attempt not removed');
    }
  }

  /**
   * A transcode threw. Rethrown for the worker to retry (or to see a stop, or wait out a
   * shortage), except the last try of a started one, which becomes the creator's failure: a
   * started video left parked would show "converting" forever.
   */
  function failureOf(error: unknown, event: Accepted, started: boolean, log: Logger): Preparation {
    const ours = !(
      signal.aborted ||
      error instanceof ToolInterruptedError ||
      isInfrastructureError(error) ||
      isResourceExhausted(error)
    );
    if (!started || !ours) {
      if (!ours) failedAttempts.delete(event.id);
      throw error;
    }
    const failures = (failedAttempts.get(event.id) ?? 0) + 1;
    if (failures < deps.retryAttempts && !isPermanent(error)) {
      failedAttempts.set(event.id, failures);
      throw error;
    }
    failedAttempts.delete(event.id);
    log.error(
      { err: error, attempts: failures },
      'transcoding failed on our side, and retrying did not mend it; the video fails',
    );
    return { ok: false, reason: OUR_SIDE_REASON };
  }

  /** Progress is news, not state: written in order, each step once (its id says which), and a failed write only logged. */
  function progressWriter(event: Accepted, stream: string, log: Logger) {
    let chain = Promise.resolve();
    return {
      report(percent: number) {
        const id = answerId(event.id, 'VideoTranscodingProgressed', String(percent));
        const progressed = follow(
          event,
          'VideoTranscodingProgressed',
          { videoId: event.data.videoId, percent },
          {},
          id,
        );
        chain = chain
          .then(async () => void (await messageStore.write(stream, progressed)))
          .catch((error: unknown) => log.warn({ err: error, percent }, 'progress not recorded'));
      },
      settled: () => chain,
    };
  }

  return {
    // Here as well as in the queueing handlers: a VideoDeleted parked there is replayed through these.
    VideoDeleted: (event) => outcomes.removeDeletedVideo(event.data.videoId),

    async VideoPublishingAccepted(event) {
      const { ownerId, videoId, sourceUri } = event.data;
      const stream = videoPublishingStreamName(videoId);
      const log = logger.child({ videoId, eventId: event.id });
      const { state } = await messageStore.project(stream, videoProjection);
      if (isSettled(state)) {
        log.debug('video already has an outcome; not transcoded again');
        // A crash between recording the failure (or the deletion) and removing the files would otherwise keep them for good.
        await outcomes.tidy(state, videoId, sourceUri);
        return;
      }
      // Checked before the work and again before publishing: an erasure can come at any time.
      const ownerGone = () => isErased(messageStore, ownerId);
      // Started by an earlier attempt, or by this one: from then on it must end with an outcome.
      let started = state.status === 'transcoding';
      const progress = progressWriter(event, stream, log);
      const startedAt = Date.now();
      let prepared: Preparation;
      try {
        if (await ownerGone()) throw new OwnerErased();
        prepared = await prepareVideo({
          videoStore: deps.videoStore,
          tools: deps.tools,
          videoId,
          sourceUri,
          signal,
          progressIntervalMs: deps.progressIntervalMs,
          limits: deps.limits,
          onProgress: progress.report,
          onStarted: async () => {
            await messageStore.write(
              stream,
              follow(event, 'VideoTranscodingStarted', { videoId }, {}, answerId(event.id, 'VideoTranscodingStarted')),
            );
            started = true;
            log.info('transcoding started');
          },
        });
        if (prepared.ok && (await ownerGone())) throw new OwnerErased();
      } catch (error) {
        // Nothing is stored before the start.
        if (started || error instanceof OwnerErased) await discardAttempt(stream, videoId, sourceUri, log);
        prepared =
          error instanceof OwnerErased
            ? { ok: false, reason: ERASED_OWNER_REASON }
            : failureOf(error, event, started, log);
      } finally {
        await progress.settled();
      }
      failedAttempts.delete(event.id);
      const outcome = prepared.ok
        ? follow(
            event,
            'VideoPublished',
            { ownerId, videoId, sourceUri, ...withoutOk(prepared) },
            {},
            answerId(event.id, 'VideoPublished'),
          )
        : follow(
            event,
            'VideoPublishingFailed',
            { ownerId, videoId, reason: prepared.reason },
            {},
            answerId(event.id, 'VideoPublishingFailed'),
          );
      const written = await outcomes.write(stream, outcome);
      if (!written.written) {
        // Deleted while it transcoded: what this attempt stored came after the deletion's clean-up.
        if (written.found.status === 'deleted') await outcomes.removeDeletedVideo(videoId);
        log.warn(
          { ours: outcome.type, status: written.found.status },
          'the video was settled meanwhile; our outcome is not recorded',
        );
      } else if (prepared.ok) {
        log.info({ ms: Date.now() - startedAt }, 'video published');
      } else {
        // The failure is recorded: nothing will ever point at these files.
        await outcomes.removeFailedVideo(videoId, sourceUri);
        log.info({ reason: prepared.reason }, 'video publishing failed');
      }
    },
  };
}

function withoutOk<T extends { ok: true }>({ ok: _ok, ...rest }: T): Omit<T, 'ok'> {
  return rest;
}

/** The video's creator was erased: it fails, whatever its file, and its files go. */
class OwnerErased extends Error {
  override name = 'OwnerErased';
}
