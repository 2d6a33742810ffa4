import { stat } from 'node:fs/promises';
import { type VideoStore } from '../../video-store/index.ts';
import { MAX_POSTER_IMAGE_BYTES } from '../../contracts/video-publishing.ts';
import { probeImage, reencodeImage, type ImageRun } from './media/image.ts';
import { ToolFailedError } from './media/run-tool.ts';
import type { MediaTools } from './prepare-video.ts';
import type { TranscodeLimits } from './media/limits.ts';

export interface PreparePosterOptions {
  readonly videoStore: VideoStore;
  readonly tools: MediaTools;
  readonly limits: TranscodeLimits;
  readonly signal: AbortSignal;
  /** The image as the creator uploaded it: read, never served. */
  readonly imageUri: string;
  /** Where the re-encoded JPEG goes: derived from the upload, so a second try writes the same file. */
  readonly posterKey: string;
}

/** ffmpeg exited 0 having written no picture: the file held none it could decode. */
class NoPicture extends Error {
  override name = 'NoPicture';
}

/**
 * An uploaded poster image, checked by decoding it and written anew as a JPEG under
 * `posterKey`: `{ ok: true, posterUri }`, or `{ ok: false }` when it is not a JPEG, PNG or WebP
 * picture of at most 5 MB and 50 megapixels that decodes whole. Anything else (the upload
 * missing from the store, ffmpeg missing, the disk full) throws: not the creator's fault.
 */
export async function preparePoster({ videoStore, tools, limits, signal, imageUri, posterKey }: PreparePosterOptions) {
  // A missing upload is left to withLocalFile's VideoNotFoundError, as for a video: a worker without the shared store.
  const uploaded = await videoStore.stat(imageUri);
  if (uploaded && (uploaded.bytes === 0 || uploaded.bytes > MAX_POSTER_IMAGE_BYTES)) return { ok: false } as const;
  const run: ImageRun = { signal, sandbox: tools.sandbox, limits };
  const picture = await videoStore.withLocalFile(imageUri, (file) => probeImage(tools.ffprobePath, file, run));
  if (!picture) return { ok: false } as const;
  try {
    const { uri } = await videoStore.writeLocalFile(posterKey, (output) =>
      videoStore.withLocalFile(imageUri, async (input) => {
        await reencodeImage(tools.ffmpegPath, input, output, run);
        if (!((await stat(output).catch(() => undefined))?.size ?? 0)) throw new NoPicture();
      }),
    );
    return { ok: true, posterUri: uri } as const;
  } catch (error) {
    if (error instanceof ToolFailedError || error instanceof NoPicture) return { ok: false } as const;
    throw error;
  }
}
