import type { Knex } from 'knex';
import type { Viewing } from './parse.ts';
import { countViewings, type WindowTable } from './windows.ts';

/** Each video's guard: the global position of the last viewing of its stream its rows have taken in. */
export type AppliedPositions = (
  trx: Knex.Transaction,
  videoIds: readonly string[],
) => Promise<ReadonlyMap<string, number>>;

/**
 * The viewings of a batch that each video's rows have not taken in yet (past its guard, so a
 * replay counts nothing twice however the batches are cut), each decided by the counting rule with
 * the windows in `windows`; undefined when the batch holds nothing new. For the counts guarded per
 * video (videos/views.ts, popular-videos), which then write `fresh` with `counted` in one upsert.
 */
export async function countUnappliedViewings(
  trx: Knex.Transaction,
  viewings: readonly Viewing[],
  {
    appliedPositions,
    windows,
    windowMs,
  }: { readonly appliedPositions: AppliedPositions; readonly windows: WindowTable; readonly windowMs: number },
): Promise<{ fresh: Viewing[]; counted: boolean[] } | undefined> {
  const applied = await appliedPositions(
    trx,
    viewings.map((viewing) => viewing.data.videoId.toLowerCase()),
  );
  const fresh = viewings.filter(
    (viewing) => viewing.globalPosition > (applied.get(viewing.data.videoId.toLowerCase()) ?? 0),
  );
  if (fresh.length === 0) return undefined;
  const counted = await countViewings(
    trx,
    windows,
    fresh.map((viewing) => ({ ...viewing.data, time: viewing.time })),
    windowMs,
  );
  return { fresh, counted };
}
