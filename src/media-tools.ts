import { accessSync, constants } from 'node:fs';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';

// The binaries npm installs for each platform, so a bare machine needs nothing else: the
// zero-setup fallback (a 2018 build, 4.1), and what the demo's samples are made with.
export const ffmpegPath: string = ffmpegInstaller.path;
export const ffprobePath: string = ffprobeInstaller.path;

/** Where a system package puts them (Debian's `ffmpeg`, and most Linux distributions'). */
export const SYSTEM_MEDIA_TOOLS = { ffmpegPath: '/usr/bin/ffmpeg', ffprobePath: '/usr/bin/ffprobe' } as const;

export interface MediaToolPaths {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
}

const runnable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * The ffmpeg and ffprobe that decode uploads, each chosen on its own: the one a setting names
 * (FFMPEG_PATH, FFPROBE_PATH; it must be there), else the system's, which its distribution
 * keeps patched, else npm's. Untrusted files are what decoders' security fixes are about, so a
 * maintained build wins whenever there is one (docs/decisions.md).
 */
export function resolveMediaTools(
  given: Partial<MediaToolPaths>,
  system: MediaToolPaths = SYSTEM_MEDIA_TOOLS,
): MediaToolPaths {
  const choose = (name: keyof MediaToolPaths, setting: string, bundled: string): string => {
    const named = given[name];
    if (named !== undefined) {
      if (!runnable(named)) throw new Error(`${setting} names ${named}, which is not an executable file`);
      return named;
    }
    return runnable(system[name]) ? system[name] : bundled;
  };
  return {
    ffmpegPath: choose('ffmpegPath', 'FFMPEG_PATH', ffmpegPath),
    ffprobePath: choose('ffprobePath', 'FFPROBE_PATH', ffprobePath),
  };
}
