import { z } from 'zod';
import { ACCEPTED_CONTAINERS, ACCEPTED_CONTAINERS_FOR_PEOPLE } from './formats.ts';
import { runTool, ToolFailedError } from './run-tool.ts';
import type { Sandbox, ToolLimits } from './sandbox.ts';

export interface VideoInfo {
  readonly width: number;
  readonly height: number;
  /** Undefined when the container does not say (progress cannot then be told in percent). */
  readonly durationSeconds: number | undefined;
  /** Frames a second, on average; undefined when the file does not say. */
  readonly frameRate: number | undefined;
  readonly hasAudio: boolean;
}

export type Probe =
  { readonly video: true; readonly info: VideoInfo } | { readonly video: false; readonly reason: string };

// A damaged or hostile file must not hold the queue for long: probing reads only the headers.
export const PROBE_TIMEOUT_MS = 60_000;

const NOT_READABLE = `The file is not a video we can read. Please upload an ${ACCEPTED_CONTAINERS_FOR_PEOPLE} file.`;
const NO_VIDEO = 'The file has no video in it (is it a sound recording?). Please upload a video file.';
const STILL = 'The file holds a single picture, not a video. Please upload a video file.';

// ffprobe's JSON, read as untrusted: only what we use, each field optional.
const number = z.coerce.number().refine(Number.isFinite);
const ffprobeOutput = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
        nb_frames: z.string().optional(),
        avg_frame_rate: z.string().optional(),
        r_frame_rate: z.string().optional(),
        disposition: z.object({ attached_pic: z.number().optional() }).optional(),
      }),
    )
    .default([]),
  format: z.object({ duration: number.optional() }).default({}),
});

/** ffprobe's "30000/1001"; "0/0" and anything odd say nothing. */
function rate(fraction: string | undefined): number | undefined {
  const [top, bottom] = (fraction ?? '').split('/').map(Number);
  const value = top !== undefined && bottom !== undefined && bottom > 0 ? top / bottom : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export interface ProbeOptions {
  readonly signal: AbortSignal;
  readonly sandbox: Sandbox;
  readonly limits: ToolLimits;
}

/** Reads a file's container and streams with ffprobe and says whether it is a video we can publish. */
export async function probeVideo(
  ffprobePath: string,
  file: string,
  { signal, sandbox, limits }: ProbeOptions,
): Promise<Probe> {
  let output: string;
  try {
    output = await runTool(
      ffprobePath,
      // Only plain files: no URL a file names is followed (the container whitelist keeps out playlists as well).
      [
        '-v',
        'error',
        '-protocol_whitelist',
        'file',
        '-format_whitelist',
        ACCEPTED_CONTAINERS,
        '-print_format',
        'json',
        '-show_format',
        '-show_streams',
        file,
      ],
      { signal, timeoutMs: PROBE_TIMEOUT_MS, sandbox, limits },
    );
  } catch (error) {
    if (error instanceof ToolFailedError) return { video: false, reason: NOT_READABLE };
    throw error;
  }
  const parsed = ffprobeOutput.safeParse(parseJson(output));
  if (!parsed.success) return { video: false, reason: NOT_READABLE };
  const { streams, format } = parsed.data;
  // A cover picture inside a sound file is a video stream to ffprobe, but not a video.
  const video = streams.find((stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1);
  if (!video?.width || !video.height) return { video: false, reason: NO_VIDEO };
  if (video.nb_frames === '1') return { video: false, reason: STILL };
  return {
    video: true,
    info: {
      width: video.width,
      height: video.height,
      durationSeconds: format.duration !== undefined && format.duration > 0 ? format.duration : undefined,
      // The average is what the decoder will meet; the base rate of a variable-rate file can be its clock's.
      frameRate: rate(video.avg_frame_rate) ?? rate(video.r_frame_rate),
      hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
