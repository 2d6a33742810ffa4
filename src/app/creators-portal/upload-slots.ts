/**
 * How many uploads this process streams at once, in all and per creator: each holds a socket
 * and a growing file, so one account opening a hundred at once could fill the disk. Counted per
 * process (a web process is where the bytes land).
 */
export interface UploadSlots {
  /** A release function, or undefined when the creator or the process is at its limit. */
  take(userId: string): (() => void) | undefined;
}

export function createUploadSlots({ perUser, total }: { perUser: number; total: number }): UploadSlots {
  const byUser = new Map<string, number>();
  let inUse = 0;
  return {
    take(userId) {
      const mine = byUser.get(userId) ?? 0;
      if (mine >= perUser || inUse >= total) return undefined;
      byUser.set(userId, mine + 1);
      inUse += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inUse -= 1;
        const left = (byUser.get(userId) ?? 1) - 1;
        if (left > 0) byUser.set(userId, left);
        else byUser.delete(userId);
      };
    },
  };
}
