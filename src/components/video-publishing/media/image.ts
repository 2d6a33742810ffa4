import { z } from 'zod';
import type { TranscodeLimits } from './limits.ts';
import { toolLimits } from './limits.ts';
import { runTool, ToolFailedError } from './run-tool.ts';
import type { Sandbox } from './sandbox.ts';
import { QUIET_PLAIN_FILES, SCALE } from './transcode.ts';

// Demuxers that read one picture by its content (ffmpeg's image2 would read a numbered sequence
// of files from a name with %d in it), and their decoders only: a PNG that is secretly a
// playlist, a GIF, an SVG or a video is refused before it is parsed.
export const IMAGE_FORMATS = 'jpeg_pipe,png_pipe,webp_pipe';
export const IMAGE_CODECS = 'mjpeg,png,webp';
// Far beyond a phone photo (12–50 megapixels, and a 5 MB file), short of a decompression bomb:
// a few kilobytes of PNG can claim 65535×65535 and have the decoder allocate 16 GB.
export const MAX_IMAGE_PIXELS = 50_000_000;
export const MAX_IMAGE_SIDE = 16_384;
// One picture: a 12-megapixel JPEG took 0.6 s to decode and re-encode on one core.
export const IMAGE_TIMEOUT_MS = 15_000;

export interface ImageRun {
  readonly signal: AbortSignal;
  readonly sandbox: Sandbox;
  readonly limits: TranscodeLimits;
}

const ffprobeOutput = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
      }),
    )
    .default([]),
});

/** The picture's size if ffprobe reads `file` as one JPEG, PNG or WebP picture within our limits, else undefined. */
export async function probeImage(
  ffprobePath: string,
  file: string,
  { signal, sandbox, limits }: ImageRun,
): Promise<{ width: number; height: number } | undefined> {
  let output: string;
  try {
    output = await runTool(
      ffprobePath,
      [
        '-v',
        'error',
        '-protocol_whitelist',
        'file',
        '-format_whitelist',
        IMAGE_FORMATS,
        '-codec_whitelist',
        IMAGE_CODECS,
        '-print_format',
        'json',
        '-show_streams',
        file,
      ],
      { signal, timeoutMs: IMAGE_TIMEOUT_MS, sandbox, limits: toolLimits(limits, IMAGE_TIMEOUT_MS) },
    );
  } catch (error) {
    if (error instanceof ToolFailedError) return undefined;
    throw error;
  }
  const parsed = ffprobeOutput.safeParse(parseJson(output));
  if (!parsed.success) return undefined;
  const [picture, ...more] = parsed.data.streams;
  if (more.length > 0 || picture?.codec_type !== 'video' || !picture.width || !picture.height) return undefined;
  const { width, height } = picture;
  return width * height <= MAX_IMAGE_PIXELS && Math.max(width, height) <= MAX_IMAGE_SIDE
    ? { width, height }
    : undefined;
}

/**
 * ffmpeg's arguments to decode the first picture of `input` and write it anew as a JPEG that
 * fits 1280×720: nothing of the uploaded bytes (its metadata, a photo's location, whatever a
 * crafted file hides after the picture) reaches the file we serve. `-xerror` makes a picture
 * that does not decode fail rather than come out half grey.
 */
export function reencodeImageArguments(input: string, output: string): string[] {
  return [
    ...QUIET_PLAIN_FILES,
    '-format_whitelist',
    IMAGE_FORMATS,
    '-codec_whitelist',
    IMAGE_CODECS,
    '-max_pixels',
    String(MAX_IMAGE_PIXELS),
    '-xerror',
    '-i',
    input,
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-vf',
    SCALE,
    '-map_metadata',
    '-1',
    '-pix_fmt',
    'yuvj420p',
    '-q:v',
    '3',
    '-f',
    'image2',
    '-c:v',
    'mjpeg',
    output,
  ];
}

/** Throws ToolFailedError when the picture does not decode (the uploader's fault), anything else when the fault is ours. */
export async function reencodeImage(
  ffmpegPath: string,
  input: string,
  output: string,
  { signal, sandbox, limits }: ImageRun,
): Promise<void> {
  await runTool(ffmpegPath, reencodeImageArguments(input, output), {
    signal,
    timeoutMs: IMAGE_TIMEOUT_MS,
    sandbox,
    limits: toolLimits(limits, IMAGE_TIMEOUT_MS),
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
