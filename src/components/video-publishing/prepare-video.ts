import { writeFile } from 'node:fs/promises';
import { POSTER_CANDIDATES } from '../../contracts/video-publishing.ts';
import { uriOfKey, videoKeys, type VideoStore } from '../../video-store/index.ts';
import {
  BUDGET_REFERENCE,
  frameCap,
  secondsToConvert,
  toolLimits,
  transcodeTimeLimitMs,
  type TranscodeLimits,
} from './media/limits.ts';
import { PROBE_TIMEOUT_MS, probeVideo, type VideoInfo } from './media/probe.ts';
import { createProgressReader } from './media/progress.ts';
import {
  ToolFailedError,
  ToolOutOfMemoryError,
  ToolOutputTooLargeError,
  ToolOverLimitError,
  ToolTimedOutError,
} from './media/run-tool.ts';
import type { Sandbox } from './media/sandbox.ts';
import { extractFrames, extractPoster, POSTER_TIMEOUT_MS, transcode } from './media/transcode.ts';

export interface MediaTools {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** Where each run happens: tied to this process, limited, off the network, as far as the machine allows. */
  readonly sandbox: Sandbox;
}

export type Preparation =
  | {
      readonly ok: true;
      readonly transcodedUri: string;
      readonly posterUri: string;
      /** The frames offered as other posters: fewer than POSTER_CANDIDATES where a point had no frame. */
      readonly posterCandidateUris: readonly string[];
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

// Far enough in to miss a fade from black (the first frame often is black).
const POSTER_FRACTION = 0.1;
// The candidates: spread over the video, the first the poster's own frame.
const CANDIDATE_FRACTIONS = Array.from(
  { length: POSTER_CANDIDATES },
  (_, index) => POSTER_FRACTION + (index * (1 - 2 * POSTER_FRACTION)) / (POSTER_CANDIDATES - 1),
);
// ffmpeg's words for trouble on our side of the file (running short of space or memory is
// ToolOutOfResourcesError, thrown by runTool).
const OUR_FAULT = /Permission denied/i;

const TOO_SLOW = 'The video took too long to convert. Please upload a shorter or smaller video.';
const TOO_BIG_IN_MEMORY =
  'The video needs more memory to convert than we give one video. Please upload it at a lower resolution.';

/** "2 hours", "1 hour 30 minutes", "45 seconds": a length as a creator would say it, in whole minutes past the first. */
function spokenDuration(seconds: number): string {
  const plural = (amount: number, unit: string) => `${amount} ${unit}${amount === 1 ? '' : 's'}`;
  if (seconds < 60) return plural(Math.floor(seconds), 'second');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(minutes % 60, 'minute')}`;
}

function spokenBytes(bytes: number): string {
  const [amount, unit] = bytes >= 1e9 ? [bytes / 1e9, 'GB'] : bytes >= 1e6 ? [bytes / 1e6, 'MB'] : [bytes / 1e3, 'KB'];
  return `${Number(amount.toFixed(1))} ${unit}`;
}

const spokenRate = (frameRate: number) => `${Number(frameRate.toFixed(2))} frames a second`;

/** "4K": the largest picture we take, in the words of a camera's settings. */
const largestSize = (limits: TranscodeLimits) =>
  limits.maxPixels === 3840 * 2160 ? '4K' : `${Number((limits.maxPixels / 1e6).toFixed(1))} megapixels`;

/** "at most 4K (3840×2160) at 60 frames a second" */
function largestAccepted(limits: TranscodeLimits): string {
  const size = limits.maxPixels === 3840 * 2160 ? '4K (3840×2160)' : largestSize(limits);
  return `at most ${size} at ${spokenRate(limits.maxFrameRate)}`;
}

/** Why a source is more than we convert, by what its headers say, or undefined if it is within the limits. */
function limitProblem(
  { durationSeconds, width, height, frameRate }: VideoInfo,
  limits: TranscodeLimits,
): string | undefined {
  if (durationSeconds !== undefined && durationSeconds > limits.maxDurationSeconds) {
    return `The video is longer than ${spokenDuration(limits.maxDurationSeconds)}, the most we accept. Please upload a shorter video.`;
  }
  if (width * height > limits.maxPixels || Math.max(width, height) > limits.maxSide) {
    return `This video is larger than we can convert (${width}×${height}): ${largestAccepted(limits)}. Please export it at ${largestSize(limits)} or smaller.`;
  }
  if (frameRate !== undefined && frameRate > limits.maxFrameRate + 0.01) {
    return `This video has more frames a second than we can convert (${Number(frameRate.toFixed(2))}): ${largestAccepted(limits)}. Please export it at ${limits.maxFrameRate} frames a second or fewer.`;
  }
  if (
    durationSeconds !== undefined &&
    secondsToConvert(limits, { width, height, frameRate, durationSeconds }) < durationSeconds
  ) {
    const affordable = secondsToConvert(limits, { width, height, frameRate, durationSeconds: undefined });
    const { width: w, height: h, frameRate: f, name } = BUDGET_REFERENCE;
    const budget = spokenDuration(limits.maxDecodedPixels / (w * h * f));
    return (
      `This video is more than we can convert: at ${width}×${height} and ${spokenRate(frameRate ?? limits.maxFrameRate)} we take at most ` +
      `${spokenDuration(affordable)} of it (as much work as ${budget} of ${name}). Please upload it at a lower resolution or frame rate, or in shorter parts.`
    );
  }
  return undefined;
}

// ffmpeg's prefix naming the part that spoke and where it sits in memory: "[h264 @ 0x4222a440] ",
// "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x…] ". Bounded, so a long run of "[" is not rescanned from each.
const COMPONENT_PREFIX = /\[[^\][\n]{0,64} @ 0x[0-9a-f]{1,16}\] ?/gi;

/** ffmpeg names the files it failed on and its parts' addresses; the creator is shown none of them. */
function withoutPaths(message: string, paths: readonly string[]): string {
  return paths.reduce((text, file) => text.split(file).join('the video'), message).replace(COMPONENT_PREFIX, '');
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
  const probeOptions = { signal, sandbox: tools.sandbox, limits: toolLimits(limits, PROBE_TIMEOUT_MS) };
  const probe = await videoStore.withLocalFile(sourceUri, (file) => probeVideo(tools.ffprobePath, file, probeOptions));
  if (!probe.video) return { ok: false, reason: probe.reason };
  // Refused before a transcode starts: a tiny file claiming hours or 8K frames would hold the queue for hours, or eat memory.
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
    const seconds = secondsToConvert(limits, probe.info);
    const timeoutMs = transcodeTimeLimitMs(limits, seconds);
    const caps = { seconds, maxPixels: frameCap(limits, probe.info), maxOutputBytes: limits.maxOutputBytes };
    const run = {
      signal,
      onProgressLine,
      caps,
      timeoutMs,
      sandbox: tools.sandbox,
      limits: toolLimits(limits, timeoutMs, 'video'),
    };
    ({ uri: transcodedUri, bytes: transcodedBytes } = await videoStore.writeLocalFile(
      videoKeys.transcoded(videoId),
      (output) =>
        videoStore.withLocalFile(sourceUri, async (input) => {
          try {
            await transcode(tools.ffmpegPath, input, output, run);
          } catch (error) {
            // A limit's error keeps its kind (and is in our words): only the tool's own words may name our files.
            if (error instanceof ToolFailedError && !(error instanceof ToolOverLimitError)) {
              throw new ToolFailedError(error.message, withoutPaths(error.lastError, [input, output]));
            }
            throw error;
          }
        }),
    ));
  } catch (error) {
    if (error instanceof ToolTimedOutError) return { ok: false, reason: TOO_SLOW };
    if (error instanceof ToolOutputTooLargeError) return { ok: false, reason: tooLarge(limits) };
    if (error instanceof ToolOutOfMemoryError) return { ok: false, reason: TOO_BIG_IN_MEMORY };
    // Ours to mend, not the upload's fault: thrown, so it is tried again (and the handler fails the video as ours if that does not mend it).
    if (error instanceof ToolFailedError && !OUR_FAULT.test(error.lastError)) {
      return {
        ok: false,
        reason: `The video could not be converted (${error.lastError || 'the converter stopped without saying why'}). Export it again as MP4, or upload another file.`,
      };
    }
    throw error;
  }

  // ffmpeg's -fs ends the file where it reached the limit, and exits as if all were well.
  if (transcodedBytes >= limits.maxOutputBytes) return { ok: false, reason: tooLarge(limits) };
  const result = await videoStore.withLocalFile(transcodedUri, (file) =>
    probeVideo(tools.ffprobePath, file, probeOptions),
  );
  // ffmpeg converted it without complaint, yet it is no video: the upload is, say, a single
  // picture in a container that does not count frames (MKV, WebM, TS), which only our MP4
  // reveals. Retrying would give the same; the creator is told, and the caller removes the file.
  if (!result.video) return { ok: false, reason: result.reason };
  const { posterUri, posterCandidateUris } = await storeFrames(options, transcodedUri, result.info);
  const { width, height, durationSeconds = probe.info.durationSeconds ?? 0 } = result.info;
  return {
    ok: true,
    transcodedUri,
    posterUri,
    posterCandidateUris,
    durationSeconds: Math.round(durationSeconds * 1000) / 1000,
    width,
    height,
  };
}

const tooLarge = (limits: TranscodeLimits) =>
  `The converted video would be larger than ${spokenBytes(limits.maxOutputBytes)}. Please upload a shorter video.`;

/**
 * Writes `write`'s files under `keys`, each whole or not at all (nested writeLocalFile calls).
 * Each temporary file exists, empty, before `write` runs: a frame ffmpeg could not take is then
 * stored empty, for the caller to drop, rather than failing the others.
 */
async function writeAll(
  videoStore: VideoStore,
  keys: readonly string[],
  write: (files: string[]) => Promise<void>,
): Promise<number[]> {
  const [key, ...rest] = keys;
  if (key === undefined) {
    await write([]);
    return [];
  }
  let bytes: number[] = [];
  const { bytes: first } = await videoStore.writeLocalFile(key, async (file) => {
    await writeFile(file, '');
    bytes = await writeAll(videoStore, rest, (files) => write([file, ...files]));
  });
  return [first, ...bytes];
}

/**
 * The poster, a frame a tenth of the way in, and the candidates, in one ffmpeg run over the
 * transcoded MP4. A candidate at a point with no frame (a sparse video's last stretch) is left
 * out; a poster with none is taken from the first frame instead.
 */
async function storeFrames(
  { videoStore, tools, videoId, signal, limits }: PrepareOptions,
  transcodedUri: string,
  info: VideoInfo,
): Promise<{ posterUri: string; posterCandidateUris: string[] }> {
  const duration = info.durationSeconds ?? 0;
  const run = { signal, sandbox: tools.sandbox, limits: toolLimits(limits, POSTER_TIMEOUT_MS) };
  const posterKey = videoKeys.poster(videoId);
  const candidateKeys = CANDIDATE_FRACTIONS.map((_, index) => videoKeys.posterCandidate(videoId, index));
  const times = [POSTER_FRACTION, ...CANDIDATE_FRACTIONS].map((fraction) => duration * fraction);
  const [posterBytes, ...candidateBytes] = await writeAll(videoStore, [posterKey, ...candidateKeys], (files) =>
    videoStore.withLocalFile(transcodedUri, (input) =>
      extractFrames(
        tools.ffmpegPath,
        input,
        files.map((output, index) => ({ atSeconds: times[index]!, output })),
        run,
      ),
    ),
  );
  const posterCandidateUris: string[] = [];
  for (const [index, key] of candidateKeys.entries()) {
    if (candidateBytes[index]) posterCandidateUris.push(uriOfKey(key));
    else await videoStore.remove(uriOfKey(key));
  }
  if (posterBytes) return { posterUri: uriOfKey(posterKey), posterCandidateUris };
  const { uri } = await videoStore.writeLocalFile(posterKey, (output) =>
    videoStore.withLocalFile(transcodedUri, (input) => extractPoster(tools.ffmpegPath, input, output, 0, run)),
  );
  return { posterUri: uri, posterCandidateUris };
}
