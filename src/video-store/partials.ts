import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Kept inside the store's directory so a rename into place never crosses a file system. */
export const PARTIAL_DIR = '.partial';

export interface Partials {
  /** A fresh path for a file being written, ending like `key` (ffmpeg picks its muxer by the extension). */
  create(key: string): Promise<string>;
  /** Makes the written file durable and moves it to `final` in one step: readers see all of it or nothing. */
  commit(partial: string, final: string): Promise<number>;
  discard(partial: string): Promise<void>;
}

export interface PartialsOptions {
  readonly root: string;
  /** Older than this, a partial file is taken for one a crashed process left behind. */
  readonly maxAgeMs: number;
  readonly now: () => number;
}

async function fsyncPath(file: string, flags: string): Promise<void> {
  const handle = await open(file, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Temporary files for writes in progress. A crash leaves its partial file behind under a name
 * no reader looks at; files older than maxAgeMs are swept when later writes begin (a running
 * write keeps its file's mtime fresh, so only abandoned ones are that old).
 */
export function createPartials({ root, maxAgeMs, now }: PartialsOptions): Partials {
  const dir = path.join(root, PARTIAL_DIR);
  let lastSweep = -Infinity;

  async function sweep(): Promise<void> {
    if (now() - lastSweep < maxAgeMs / 4) return;
    lastSweep = now();
    for (const name of await readdir(dir).catch(() => [])) {
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now() - info.mtimeMs > maxAgeMs) await rm(file, { force: true, recursive: true });
    }
  }

  return {
    async create(key) {
      await mkdir(dir, { recursive: true });
      await sweep();
      return path.join(dir, `${randomUUID()}-${path.posix.basename(key)}`);
    },
    async commit(partial, final) {
      await fsyncPath(partial, 'r+');
      const { size } = await stat(partial);
      await mkdir(path.dirname(final), { recursive: true });
      await rename(partial, final);
      // The rename itself lives in the directory: sync it too, or a power cut may undo it.
      await fsyncPath(path.dirname(final), 'r');
      return size;
    },
    async discard(partial) {
      await rm(partial, { force: true });
    },
  };
}
