import { videoKeys, type VideoStore } from '../../video-store/index.ts';
import { transcodeTimeLimitMs, type TranscodeLimits } from './media/limits.ts';
import { probeVideo, type VideoInfo } from './media/probe.ts';
import { createProgressReader } from './media/progress.ts';
import { ToolFailedError, ToolTimedOutError } from './media/run-tool.ts';
import type { ParentTie } from './media/tie-to-parent.ts';
import { extractPoster, transcode } from './media/transcode.ts';

export interface MediaTools {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** Makes each run die with this process, where the platform allows. */
  readonly tie: ParentTie;
}

export type Preparation =
  | {
      readonly ok: true;
      readonly transcodedUri: string;
      readonly posterUri: string;
      readonly durationSeconds: number;
      readonly width: number;
      readonly height: number;
    }
  | { readonly ok: false; readonly reason: string };

export interface PrepareOptions {
  readonly videoStore: VideoStore;
  readonly tools: MediaTools;
  readonly videoId: string;
  readonly sourceUri: string;
  /** Kills whichever tool is running: the preparation throws ToolInterruptedError and stores nothing. */
  readonly signal: AbortSignal;
  /** Called once the source is known to be a video, before the long part begins. */
  readonly onStarted: () => Promise<void>;
  readonly onProgress: (percent: number) => void;
  readonly progressIntervalMs: number;
  readonly limits: TranscodeLimits;
}

// Far enough in to miss a fade from black, near enough for short clips.
const POSTER_FRACTION = 0.1;
const MAX_POSTER_SECONDS = 10;
// ffmpeg's words for trouble on our side of the file.
const OUR_FAULT = /No space left on device|Permission denied|Disk quota exceeded/i;

const TOO_SLOW = 'The video took too long to convert. Please upload a shorter or smaller video.';

/** "2 hours", "90 minutes", "45 seconds": the limit as a creator would say it. */
function spokenDuration(seconds: number): string {
  const [amount, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

function spokenBytes(bytes: number): string {
  const [amount, unit] = bytes >= 1e9 ? [bytes / 1e9, 'GB'] : bytes >= 1e6 ? [bytes / 1e6, 'MB'] : [bytes / 1e3, 'KB'];
  return `${Number(amount.toFixed(1))} ${unit}`;
}

/** Why a source is too much to convert, by what its headers say, or undefined if it is within the limits. */
function limitProblem({ durationSeconds, width, height }: VideoInfo, limits: TranscodeLimits): string | undefined {
  if (durationSeconds !== undefined && durationSeconds > limits.maxDurationSeconds) {
    return `The video is longer than ${spokenDuration(limits.maxDurationSeconds)}, the most we accept. Please upload a shorter video.`;
  }
  if (width * height > limits.maxPixels) {
    const megapixels = (pixels: number) => Number((pixels / 1e6).toFixed(1));
    return `The video's picture is too large (${width}×${height}, ${megapixels(width * height)} megapixels; we accept up to ${megapixels(limits.maxPixels)}). Please upload a smaller video.`;
  }
  return undefined;
}

/** ffmpeg names the files it failed on; the creator is shown neither our paths nor temporary names. */
function withoutPaths(message: string, paths: readonly string[]): string {
  return paths.reduce((text, file) => text.split(file).join('the video'), message);
}

/**
 * Probes the upload, transcodes it to a web MP4 and takes a poster frame, storing both under
 * the video's keys. Each file appears under its key only once complete (writeLocalFile), so a
 * stop or crash part-way leaves nothing a reader could mistake for a result. A file ffmpeg
 * cannot read or convert is the upload's fault: `ok: false` with a reason a person can read.
 * Anything else (the source missing from the store, ffmpeg missing) throws. Files already
 * stored stay where they are either way: the caller knows whether they may be removed.
 */
export async function prepareVideo(options: PrepareOptions): Promise<Preparation> {
  const { videoStore, tools, videoId, sourceUri, signal, limits } = options;
  const probe = await videoStore.withLocalFile(sourceUri, (file) => probeVideo(tools.ffprobePath, file, signal, tools.tie));
  if (!probe.video) return { ok: false, reason: probe.reason };
  // Refused before a transcode starts: a tiny file claiming hours or 16K frames would hold the queue for hours, or eat memory.
  const tooMuch = limitProblem(probe.info, limits);
  if (tooMuch) return { ok: false, reason: tooMuch };
  await options.onStarted();

  let transcodedUri: string;
  let transcodedBytes: number;
  try {
    const onProgressLine = createProgressReader({
      durationSeconds: probe.info.durationSeconds,
      minIntervalMs: options.progressIntervalMs,
      report: options.onProgress,
    });
    const timeoutMs = transcodeTimeLimitMs(limits, probe.info.durationSeconds);
    ({ uri: transcodedUri, bytes: transcodedBytes } = await videoStore.writeLocalFile(videoKeys.transcoded(videoId), (output) =>
      videoStore.withLocalFile(sourceUri, async (input) => {
        try {
          await transcode(tools.ffmpegPath, input, output, { signal, onProgressLine, caps: limits, timeoutMs, tie: tools.tie });
        } catch (error) {
          if (error instanceof ToolFailedError && !(error instanceof ToolTimedOutError)) {
            throw new ToolFailedError(error.message, withoutPaths(error.lastError, [input, output]));
          }
          throw error;
        }
      }),
    ));
  } catch (error) {
    if (error instanceof ToolTimedOutError) return { ok: false, reason: TOO_SLOW };
    // A full disk is ours to mend, not the upload's fault: thrown, so the engine retries (and the handler fails the video as ours if that does not mend it).
    if (error instanceof ToolFailedError && !OUR_FAULT.test(error.lastError)) {
      return { ok: false, reason: `The video could not be converted (${error.lastError || 'ffmpeg failed'}).` };
    }
    throw error;
  }

  // ffmpeg's -fs ends the file where it reached the limit, and exits as if all were well.
  if (transcodedBytes >= limits.maxOutputBytes) {
    return { ok: false, reason: `The converted video would be larger than ${spokenBytes(limits.maxOutputBytes)}. Please upload a shorter video.` };
  }
  const result = await videoStore.withLocalFile(transcodedUri, (file) => probeVideo(tools.ffprobePath, file, signal, tools.tie));
  // ffmpeg converted it without complaint, yet it is no video: the upload is, say, a single
  // picture in a container that does not count frames (MKV, WebM, TS), which only our MP4
  // reveals. Retrying would give the same; the creator is told, and the caller removes the file.
  if (!result.video) return { ok: false, reason: result.reason };
  const posterUri = await storePoster(options, transcodedUri, result.info);
  const { width, height, durationSeconds = probe.info.durationSeconds ?? 0 } = result.info;
  return { ok: true, transcodedUri, posterUri, durationSeconds: Math.round(durationSeconds * 1000) / 1000, width, height };
}

async function storePoster({ videoStore, tools, videoId, signal }: PrepareOptions, transcodedUri: string, info: VideoInfo): Promise<string> {
  const at = Math.min((info.durationSeconds ?? 0) * POSTER_FRACTION, MAX_POSTER_SECONDS);
  const { uri } = await videoStore.writeLocalFile(videoKeys.poster(videoId), (output) =>
    videoStore.withLocalFile(transcodedUri, (input) => extractPoster(tools.ffmpegPath, input, output, at, signal, tools.tie)),
  );
  return uri;
}
