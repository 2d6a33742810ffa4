import type { Logger } from '../../../logger.ts';
import { follow, VersionConflictError, type HandlerMap, type Message, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { VideoStore } from '../../../video-store/index.ts';
import { videoPublishingStreamName, type VideoPublishingEvent } from '../contract.ts';
import { answerId } from '../ids.ts';
import { prepareVideo, type MediaTools, type Preparation } from '../prepare-video.ts';
import { isSettled, videoProjection } from '../video.ts';

type Accepted = Recorded<Extract<VideoPublishingEvent, { type: 'VideoPublishingAccepted' }>>;

export interface TranscodingDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly videoStore: VideoStore;
  readonly tools: MediaTools;
  /** Aborted when this subscriber stops: the running ffmpeg is killed and nothing is written. */
  readonly signal: AbortSignal;
  readonly progressIntervalMs: number;
}

// Renames and progress reports land in the stream during a transcode; the outcome is written
// at the version just read, and read again on a conflict rather than transcode again.
const OUTCOME_WRITE_ATTEMPTS = 5;

/**
 * Reacts to VideoPublishingAccepted: probes, transcodes and takes a poster, then writes
 * VideoPublished or VideoPublishingFailed. Runs on its own subscriber, so a long transcode
 * holds up only the transcodes behind it, never a rename. A video that already has an outcome
 * is left alone, so a redelivered or replayed event publishes nothing twice; a video caught
 * mid-transcode by a crash or stop has none, and is transcoded again from the start.
 */
export function createTranscodingHandlers(deps: TranscodingDeps): HandlerMap<VideoPublishingEvent> {
  const { messageStore, logger, signal } = deps;

  async function writeOutcome(stream: string, outcome: Message): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const { state, version } = await messageStore.project(stream, videoProjection);
      if (isSettled(state)) return false;
      try {
        await messageStore.write(stream, outcome, version);
        return true;
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= OUTCOME_WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /** Progress is news, not state: written in order, each step once (its id says which), and a failed write only logged. */
  function progressWriter(event: Accepted, stream: string, log: Logger) {
    let chain = Promise.resolve();
    return {
      report(percent: number) {
        const id = answerId(event.id, 'VideoTranscodingProgressed', String(percent));
        const progressed = follow(event, 'VideoTranscodingProgressed', { videoId: event.data.videoId, percent }, {}, id);
        chain = chain
          .then(async () => void (await messageStore.write(stream, progressed)))
          .catch((error: unknown) => log.warn({ err: error, percent }, 'progress not recorded'));
      },
      settled: () => chain,
    };
  }

  return {
    async VideoPublishingAccepted(event) {
      const { ownerId, videoId, sourceUri } = event.data;
      const stream = videoPublishingStreamName(videoId);
      const log = logger.child({ videoId, eventId: event.id });
      if (isSettled((await messageStore.project(stream, videoProjection)).state)) {
        log.debug('video already has an outcome; not transcoded again');
        return;
      }
      const progress = progressWriter(event, stream, log);
      const started = Date.now();
      let prepared: Preparation;
      try {
        prepared = await prepareVideo({
          videoStore: deps.videoStore,
          tools: deps.tools,
          videoId,
          sourceUri,
          signal,
          progressIntervalMs: deps.progressIntervalMs,
          onProgress: progress.report,
          onStarted: async () => {
            await messageStore.write(stream, follow(event, 'VideoTranscodingStarted', { videoId }, {}, answerId(event.id, 'VideoTranscodingStarted')));
            log.info('transcoding started');
          },
        });
      } finally {
        await progress.settled();
      }
      const outcome = prepared.ok
        ? follow(event, 'VideoPublished', { ownerId, videoId, sourceUri, ...withoutOk(prepared) }, {}, answerId(event.id, 'VideoPublished'))
        : follow(event, 'VideoPublishingFailed', { ownerId, videoId, reason: prepared.reason }, {}, answerId(event.id, 'VideoPublishingFailed'));
      const written = await writeOutcome(stream, outcome);
      if (!written) log.warn({ ours: outcome.type }, 'another transcoder recorded an outcome first; ours is not recorded');
      else if (prepared.ok) log.info({ ms: Date.now() - started }, 'video published');
      else log.info({ reason: prepared.reason }, 'video publishing failed');
    },
  };
}

function withoutOk<T extends { ok: true }>({ ok: _ok, ...rest }: T): Omit<T, 'ok'> {
  return rest;
}
