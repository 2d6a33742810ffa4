import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SampleVideo } from './samples.ts';

const run = promisify(execFile);

const WIDTH = 640;
const HEIGHT = 360;
const SECONDS = 5;
// A 5-second 360p render takes a second or two; far longer means ffmpeg is stuck.
const TIMEOUT_MS = 60_000;

/** Renders the sample into `file` (MP4, H.264/AAC), as a creator's camera might have. */
export async function makeSampleVideo(ffmpegPath: string, sample: SampleVideo, file: string): Promise<void> {
  await run(
    ffmpegPath,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `${sample.picture}=size=${WIDTH}x${HEIGHT}:rate=25`,
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${sample.toneHz}:sample_rate=44100`,
      '-t',
      String(SECONDS),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      file,
    ],
    { timeout: TIMEOUT_MS, killSignal: 'SIGKILL' },
  );
}
