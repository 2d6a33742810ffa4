/** What the counting rule needs of a viewing. */
export interface CountableViewing {
  readonly videoId: string;
  /** Null for a viewing that names no visitor (written before version 3): it always counts. */
  readonly visitorKey: string | null;
  /** When the store recorded it: the rule's clock, so a rebuild decides exactly as the live count did. */
  readonly time: Date;
}

/** One visitor of one video, and when a viewing of theirs last counted. */
export interface LastCounted {
  readonly videoId: string;
  readonly visitorKey: string;
  readonly countedAt: Date;
}

export const windowKey = (videoId: string, visitorKey: string): string => `${videoId} ${visitorKey}`;

/**
 * The rule the counts follow: a visitor's viewing of a video counts unless one of theirs of the
 * same video counted less than `windowMs` before it. The window runs from the last viewing that
 * counted, not from the last one seen, so someone who keeps a video playing all afternoon counts
 * once per window, not once. Viewings are decided in the order given (their order in the store),
 * starting from `last` (keyed by windowKey). Returns, for each viewing, whether it counts, and the
 * windows that moved.
 */
export function applyCountingRule(
  viewings: readonly CountableViewing[],
  last: ReadonlyMap<string, LastCounted>,
  windowMs: number,
): { counted: boolean[]; moved: LastCounted[] } {
  const windows = new Map(last);
  const moved = new Map<string, LastCounted>();
  const counted = viewings.map(({ videoId, visitorKey, time }) => {
    if (visitorKey === null) return true;
    const key = windowKey(videoId, visitorKey);
    const previous = windows.get(key);
    if (previous && time.getTime() - previous.countedAt.getTime() < windowMs) return false;
    const now = { videoId, visitorKey, countedAt: time };
    windows.set(key, now);
    moved.set(key, now);
    return true;
  });
  return { counted, moved: [...moved.values()] };
}
