import type { Knex } from 'knex';

// Made by migrations/20261130000015_projection_rebuilds.ts; every process migrates before it serves.
export const PROGRESS_TABLE = 'projection_rebuilds';
/** A run that has not moved for this long died (its process went away): another may take over. */
export const STALE_AFTER_MS = 2 * 60_000;

export type RebuildState = 'running' | 'done' | 'failed';
export type RebuildPhase = 'preparing' | 'building' | 'catching up' | 'swapping' | 'finished';

/** The row the admin page and a second rebuilder read: one per projection, its latest run. */
export interface RebuildProgress {
  readonly projection: string;
  readonly runId: string;
  readonly state: RebuildState;
  readonly phase: RebuildPhase;
  /** Messages read so far, of `total` in the projection's categories (which may grow meanwhile). */
  readonly done: number;
  readonly total: number;
  /** Messages whose data broke the contract, passed over as the live subscriber does. */
  readonly skipped: number;
  readonly requestedBy: string;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
  readonly error: string | null;
}

interface Row {
  projection: string;
  run_id: string;
  state: RebuildState;
  phase: RebuildPhase;
  done: string;
  total: string;
  skipped: string;
  requested_by: string;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  error: string | null;
}

function fromRow(row: Row): RebuildProgress {
  return {
    projection: row.projection,
    runId: row.run_id,
    state: row.state,
    phase: row.phase,
    done: Number(row.done),
    total: Number(row.total),
    skipped: Number(row.skipped),
    requestedBy: row.requested_by,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

/** The latest run of each projection named, or of all; empty before the first rebuild. */
export async function readProgress(db: Knex, projections?: readonly string[]): Promise<RebuildProgress[]> {
  const query = db<Row>(PROGRESS_TABLE).select('*').orderBy('projection');
  if (projections) query.whereIn('projection', projections);
  return (await query).map(fromRow);
}

/** Another run of this projection is under way. */
export class RebuildRunningError extends Error {
  override name = 'RebuildRunningError';
  constructor(readonly projection: string) {
    super(`a rebuild of ${projection} is already running`);
  }
}

/** This run was taken over (it had stopped moving for too long): it must not swap. */
export class RebuildTakenOverError extends Error {
  override name = 'RebuildTakenOverError';
}

/**
 * Claims the projection's row for a new run: refused while another run is moving, so two
 * rebuilds never share a shadow. A run that stopped moving long ago died, and is replaced.
 */
export async function claimRun(
  db: Knex,
  { projection, runId, requestedBy }: { projection: string; runId: string; requestedBy: string },
): Promise<void> {
  const fresh = {
    projection,
    run_id: runId,
    state: 'running',
    phase: 'preparing',
    done: 0,
    total: 0,
    skipped: 0,
    requested_by: requestedBy,
    finished_at: null,
    error: null,
  };
  const claimed = await db(PROGRESS_TABLE)
    .insert({ ...fresh, started_at: db.fn.now(), updated_at: db.fn.now() })
    .onConflict('projection')
    .merge()
    .where((guard) => {
      guard
        .whereNot(`${PROGRESS_TABLE}.state`, 'running')
        .orWhere(
          `${PROGRESS_TABLE}.updated_at`,
          '<',
          db.raw(`now() - make_interval(secs => ?)`, [STALE_AFTER_MS / 1000]),
        );
    })
    .returning('run_id');
  if (claimed.length === 0) throw new RebuildRunningError(projection);
}

export type ProgressUpdate = Partial<Pick<RebuildProgress, 'phase' | 'done' | 'total' | 'skipped'>>;

/** Records how far the run has got; throws RebuildTakenOverError if the row is no longer this run's. */
export async function recordProgress(
  db: Knex | Knex.Transaction,
  runId: string,
  update: ProgressUpdate & { state?: RebuildState; error?: string; finished?: boolean },
): Promise<void> {
  const changed = await db(PROGRESS_TABLE)
    .where({ run_id: runId, state: 'running' })
    .update({
      ...(update.phase !== undefined && { phase: update.phase }),
      ...(update.done !== undefined && { done: update.done }),
      ...(update.total !== undefined && { total: update.total }),
      ...(update.skipped !== undefined && { skipped: update.skipped }),
      ...(update.state !== undefined && { state: update.state }),
      ...(update.error !== undefined && { error: update.error }),
      ...(update.finished && { finished_at: db.fn.now() }),
      updated_at: db.fn.now(),
    });
  if (changed === 0) throw new RebuildTakenOverError(`rebuild run ${runId} is no longer the current one`);
}

/**
 * When the run should end at its current rate, from its start to now; undefined until it has
 * read something.
 */
export function estimatedEnd(progress: RebuildProgress, now: Date = new Date()): Date | undefined {
  if (progress.state !== 'running' || progress.done === 0 || progress.total <= progress.done) return undefined;
  const elapsed = now.getTime() - progress.startedAt.getTime();
  const remaining = (elapsed / progress.done) * (progress.total - progress.done);
  return new Date(now.getTime() + remaining);
}

/** A running row that has not moved for STALE_AFTER_MS belongs to a process that is gone. */
export function isStale(progress: RebuildProgress, now: Date = new Date()): boolean {
  return progress.state === 'running' && now.getTime() - progress.updatedAt.getTime() > STALE_AFTER_MS;
}
