import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import type pg from 'pg';
import { countMessages } from '../message-queries/counts.ts';
import type { MessageStore, RawMessage } from '../message-store/index.ts';
import { applyProjectionBatch } from '../subscription/projection-batch.ts';
import { ALL_CATEGORIES } from '../subscription/subscription.ts';
import { recordProgress, RebuildTakenOverError, type RebuildPhase } from './progress.ts';
import type { RebuildableProjection, RebuildPart } from './registry.ts';
import { createShadow, dropShadow, liveSchemaOf, shadowSchemaOf, swapInShadow, useShadow } from './shadow.ts';

const DEFAULT_BATCH = 1000;
// While the swap waits for a lock, every reader of the table queues behind it: give up soon and try again.
const SWAP_LOCK_TIMEOUT = '5s';
const SWAP_ATTEMPTS = 5;
const LOCK_NOT_AVAILABLE = '55P03';
// In the swap, a gap the live subscriber already passed is waited on this long at most (about 5 s).
const GAP_WAIT_MS = 20;
const GAP_WAITS_BELOW_SETTLED = 250;

export interface RebuildReport {
  readonly phase: RebuildPhase;
  readonly done: number;
  readonly total: number;
  readonly skipped: number;
}

export interface RebuildOptions {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  /** For counting a category's messages, which Message DB's functions do not offer. */
  readonly messageStorePool: pg.Pool;
  readonly projection: RebuildableProjection;
  /** The run's claim on the progress row (claimRun); every update checks it is still ours. */
  readonly runId: string;
  readonly batchSize?: number;
  /** Aborting stops before the next batch; the live projection is left as it was. */
  readonly signal?: AbortSignal;
  /** After each batch: for a progress bar. Awaited, so a test can look at the site mid-build. */
  readonly onProgress?: (report: RebuildReport) => void | Promise<void>;
  /**
   * Inside the swap's transaction, after the tables are swapped and before it commits (so while
   * it holds their locks). Awaited: a test looks at the site there.
   */
  readonly onSwapped?: () => Promise<void>;
}

export interface RebuildResult {
  /** Messages read from the projection's categories. */
  readonly messages: number;
  readonly skipped: number;
  /** The position each subscriber goes on from: the last message the shadow applied. */
  readonly positions: Readonly<Record<string, number>>;
  readonly ms: number;
}

export class RebuildAbortedError extends Error {
  override name = 'RebuildAbortedError';
}

type BatchReader = (from: number, batchSize: number) => Promise<{ messages: RawMessage[]; waiting: boolean }>;

/**
 * How a part reads: its category, or every category up to the safe horizon as the live
 * subscriber does. A gap still in flight ends the pass where it is; the swap moves the live
 * subscriber's position only to what the shadow read, so the live one reads on from there.
 */
function batchReader(messageStore: MessageStore, category: string): BatchReader {
  if (category === ALL_CATEGORIES) {
    const reader = messageStore.allMessagesReader();
    return (from, batchSize) => reader.read(from, batchSize);
  }
  return async (from, batchSize) => ({
    messages: await messageStore.readCategory(category, { fromPosition: from, batchSize }),
    waiting: false,
  });
}

/**
 * Rebuilds one projection from the log without taking it from the site: the aggregator's own
 * projection is applied to empty shadow tables (shadow.ts), reading each of its categories
 * from the start; then, in one transaction that holds every aggregator's position still, the
 * last messages are applied, the shadow tables replace the live ones, and the subscribers'
 * positions move to where the shadow got to. Until that commit the site reads the old tables;
 * after it, the new ones, and the live subscribers go on from the new positions (a stored
 * position ahead of their own is one they follow, applying nothing twice).
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { db, messageStore, projection, runId, signal } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const started = Date.now();
  const live = await liveSchemaOf(db);
  const shadow = shadowSchemaOf(projection.name);
  const reached = new Map(projection.parts.map((part) => [part.subscriberId, 0]));
  // One reader per part for the whole run: the all-categories reader remembers the gaps it waits on.
  const readers = new Map(
    projection.parts.map((part) => [part.subscriberId, batchReader(messageStore, part.category)]),
  );
  let done = 0;
  let skipped = 0;
  let total = 0;

  const progress = (phase: RebuildPhase, extra: { read?: number; broken?: number } = {}) => {
    const reading = done + (extra.read ?? 0);
    return { phase, done: reading, total: Math.max(total, reading), skipped: skipped + (extra.broken ?? 0) };
  };

  /**
   * Reads `part`'s category past `from` and applies it to the shadow: one transaction per batch,
   * or all in `swapping` (the swap's). Each transaction first updates the run's progress row, so
   * a run that was taken over fails before it writes, and a takeover waits for a batch in flight.
   */
  async function readOn(
    part: RebuildPart,
    from: number,
    swapping?: Knex.Transaction,
    settledUpTo = 0,
  ): Promise<{ position: number; read: number; broken: number }> {
    let position = from;
    let read = 0;
    let broken = 0;
    let gapWaits = 0;
    for (;;) {
      if (signal?.aborted) throw new RebuildAbortedError(`rebuild of ${projection.name} interrupted`);
      const { messages: batch, waiting } = await readers.get(part.subscriberId)!(position + 1, batchSize);
      if (batch.length === 0) {
        if (!waiting) break;
        // Stopped at a gap. Most gaps are for good (a write rolled back, an idempotent rewrite
        // of the same id): the reader judges a gap on the read after it first meets it, so read
        // once more. Below `settledUpTo` the live subscriber has already passed every gap, so
        // they must clear; above it, a write still in flight is left to the live subscriber.
        gapWaits += 1;
        if (position < settledUpTo) {
          if (gapWaits > GAP_WAITS_BELOW_SETTLED)
            throw new Error(
              `${part.subscriberId}: a gap before ${settledUpTo}, which the live subscriber passed, did not clear`,
            );
          if (gapWaits > 1) await sleep(GAP_WAIT_MS);
          continue;
        }
        if (gapWaits > 1) break;
        continue;
      }
      gapWaits = 0;
      if (swapping) {
        broken += await applyBatch(part, batch, swapping);
      } else {
        const brokenHere = await db.transaction(async (trx) => {
          await recordProgress(trx, runId, progress(currentPhase, { read: batch.length }));
          await useShadow(trx, shadow, live);
          return applyBatch(part, batch, trx);
        });
        done += batch.length;
        skipped += brokenHere;
        await options.onProgress?.(progress(currentPhase));
      }
      position = batch.at(-1)!.globalPosition;
      read += batch.length;
      // A short batch that stopped at a gap goes round again, to look at the gap.
      if (batch.length < batchSize && !waiting) break;
    }
    return { position, read, broken };
  }

  let currentPhase: RebuildPhase = 'preparing';
  async function enter(phase: RebuildPhase): Promise<void> {
    currentPhase = phase;
    await recordProgress(db, runId, progress(phase));
    await options.onProgress?.(progress(phase));
  }

  async function pass(phase: RebuildPhase): Promise<void> {
    await enter(phase);
    for (const part of projection.parts)
      reached.set(part.subscriberId, (await readOn(part, reached.get(part.subscriberId)!)).position);
  }

  let takenOver = false;
  try {
    await enter('preparing');
    await createShadow(db, {
      shadow,
      live,
      tables: projection.tables,
      ...(projection.seed && { seed: projection.seed }),
    });
    for (const part of projection.parts) total += await countMessages(options.messageStorePool, part.category);
    await pass('building');
    // What was written while building, outside any lock, so the swap has little left to read.
    await pass('catching up');
    // The planner's statistics of the new tables, before anyone reads them: autovacuum comes to
    // them only later, and until then every plan guesses (similar videos read the lexeme
    // statistics of video_search itself: without them up next took 0.4 s on 100,000 videos).
    for (const table of projection.tables) await db.raw('ANALYZE ??.??', [shadow, table]);
    await enter('swapping');
    const positions = await swapWithRetries();
    return { messages: done, skipped, positions, ms: Date.now() - started };
  } catch (error) {
    takenOver = error instanceof RebuildTakenOverError;
    throw error;
  } finally {
    // After a swap the schema is empty; after a failure it holds a half-built shadow, unless
    // another run took over, whose shadow it now is.
    if (!takenOver) await dropShadow(db, shadow).catch(() => undefined);
  }

  async function swapWithRetries(): Promise<Record<string, number>> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await swap();
      } catch (error) {
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= SWAP_ATTEMPTS || signal?.aborted)
          throw error;
        await sleep(100 * attempt);
      }
    }
  }

  /** One transaction: hold positions, apply the rest, swap the tables, move the positions. */
  async function swap(): Promise<Record<string, number>> {
    return db.transaction(async (trx) => {
      await trx.raw(`SET LOCAL lock_timeout = '${SWAP_LOCK_TIMEOUT}'`);
      // No aggregator moves (or starts) a position until this commits, so none can apply a
      // message to the old tables that the shadow has not seen, or start over at 0.
      await trx.raw('LOCK TABLE ??.subscriber_positions IN EXCLUSIVE MODE', [live]);
      await recordProgress(trx, runId, progress('swapping'));
      await useShadow(trx, shadow, live);
      const positions: Record<string, number> = {};
      let read = 0;
      let broken = 0;
      // Where the live subscribers stand, held still by the lock: the shadow must read at least that far.
      const livePositions = await storedPositions(
        trx,
        projection.parts.map((part) => part.subscriberId),
      );
      for (const part of projection.parts) {
        const result = await readOn(part, reached.get(part.subscriberId)!, trx, livePositions[part.subscriberId] ?? 0);
        positions[part.subscriberId] = result.position;
        read += result.read;
        broken += result.broken;
      }
      await checkPositions(trx, positions);
      await swapInShadow(trx, { shadow, live, tables: projection.tables });
      await options.onSwapped?.();
      for (const [subscriberId, position] of Object.entries(positions)) await movePosition(trx, subscriberId, position);
      // In the same transaction: the row says done exactly when the new tables are in place.
      await recordProgress(trx, runId, { ...progress('finished', { read, broken }), state: 'done', finished: true });
      done += read;
      skipped += broken;
      return positions;
    });
  }

  /** A live subscriber past what the shadow read would mean messages the new tables lack. */
  async function checkPositions(trx: Knex.Transaction, positions: Record<string, number>): Promise<void> {
    const live = await storedPositions(trx, Object.keys(positions));
    for (const [subscriberId, position] of Object.entries(live)) {
      const shadowAt = positions[subscriberId] ?? 0;
      if (position > shadowAt)
        throw new Error(`${subscriberId} is at ${position}, past the ${shadowAt} the rebuild read to`);
    }
  }
}

/** The furthest stored position of each subscriber (over its group members), by id. */
async function storedPositions(
  trx: Knex.Transaction,
  subscriberIds: readonly string[],
): Promise<Record<string, number>> {
  const rows = await trx('subscriber_positions')
    .whereIn('subscriber_id', subscriberIds)
    .groupBy('subscriber_id')
    .select<Array<{ subscriber_id: string; position: string }>>('subscriber_id', trx.raw('max(position) AS position'));
  return Object.fromEntries(rows.map((row) => [row.subscriber_id, Number(row.position)]));
}

/** Every member's row (of any group size) goes on from the shadow's position; none yet: the sole member's is made. */
async function movePosition(trx: Knex.Transaction, subscriberId: string, position: number): Promise<void> {
  const moved = await trx('subscriber_positions')
    .where({ subscriber_id: subscriberId })
    .update({ position, handover: null, updated_at: trx.fn.now() });
  if (moved === 0 && position > 0)
    await trx('subscriber_positions').insert({ subscriber_id: subscriberId, group_member: 0, group_size: 1, position });
}

/**
 * Applies one batch to the shadow by the live subscribers' own path: what breaks its contract is
 * skipped and recorded (skipped_messages is not a shadow table: the search path finds the live
 * one). Returns how many were skipped.
 */
async function applyBatch(part: RebuildPart, batch: readonly RawMessage[], trx: Knex.Transaction): Promise<number> {
  const skipped = await applyProjectionBatch(part.projection, batch, trx, {
    subscriber_id: part.subscriberId,
    group_member: 0,
    group_size: 1,
  });
  return skipped.length;
}
