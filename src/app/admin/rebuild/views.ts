import { estimatedEnd, isStale, type RebuildableProjection, type RebuildProgress } from '../../../rebuild/index.ts';
import { ALL_CATEGORIES } from '../../../subscription/subscription.ts';

interface RunView {
  readonly state: string;
  readonly running: boolean;
  readonly stale: boolean;
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly percent: number;
  readonly skipped: number;
  readonly eta: string | undefined;
  readonly startedAt: string;
  readonly startedIso: string;
  readonly took: string | undefined;
  readonly requestedBy: string;
  readonly error: string | null;
}

interface ProjectionView {
  readonly name: string;
  readonly href: string;
  readonly tables: readonly string[];
  readonly parts: ReadonlyArray<{ readonly subscriberId: string; readonly category: string }>;
  readonly run: RunView | undefined;
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

const STATE_LABELS = { running: 'running', done: 'done', failed: 'failed' } as const;

function runView(progress: RebuildProgress, now: Date = new Date()): RunView {
  const stale = isStale(progress, now);
  const end = estimatedEnd(progress, now);
  return {
    state: stale ? 'stopped (no progress lately: its process may have ended)' : STATE_LABELS[progress.state],
    running: progress.state === 'running' && !stale,
    stale,
    phase: progress.phase,
    done: progress.done,
    total: progress.total,
    percent:
      progress.total > 0
        ? Math.min(100, Math.floor((progress.done / progress.total) * 100))
        : progress.state === 'done'
          ? 100
          : 0,
    skipped: progress.skipped,
    eta: end && !stale ? `about ${duration(end.getTime() - now.getTime())} left` : undefined,
    startedAt: progress.startedAt.toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
    startedIso: progress.startedAt.toISOString(),
    took: progress.finishedAt ? duration(progress.finishedAt.getTime() - progress.startedAt.getTime()) : undefined,
    requestedBy: progress.requestedBy,
    error: progress.error,
  };
}

export function projectionView(
  projection: RebuildableProjection,
  progress: RebuildProgress | undefined,
  now?: Date,
): ProjectionView {
  return {
    name: projection.name,
    href: `/admin/rebuild/${projection.name}`,
    tables: projection.tables,
    // ALL_CATEGORIES is an internal token: say what it means.
    parts: projection.parts.map(({ subscriberId, category }) => ({
      subscriberId,
      category: category === ALL_CATEGORIES ? 'every category' : category,
    })),
    run: progress ? runView(progress, now) : undefined,
  };
}
