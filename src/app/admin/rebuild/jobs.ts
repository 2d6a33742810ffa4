import {
  RebuildRunningError,
  startRebuild,
  type RebuildableProjection,
  type Requester,
} from '../../../rebuild/index.ts';
import type { AdminDeps } from '../section.ts';

export interface RebuildJobs {
  /**
   * Starts rebuilding `projections` one after another in this process and resolves once the
   * first has been claimed (so its page finds it running); false if it was already running.
   */
  start(projections: readonly RebuildableProjection[], requester: Requester): Promise<boolean>;
  /** Is a job of this process still going? (A page keeps refreshing while one is.) */
  busy(): boolean;
  /** Settles when every job started so far has ended: for tests. */
  idle(): Promise<void>;
}

/**
 * Rebuilds asked for in the portal run here, in the background of the web process: a rebuild
 * takes longer than a request should. Their progress is on the progress row, where any
 * process's page reads it; a failure is there too (and in the log), never an unhandled rejection.
 */
export function createRebuildJobs({ db, messageStore, messageStorePool, logger }: AdminDeps): RebuildJobs {
  const running = new Set<Promise<void>>();

  async function rebuild(
    projection: RebuildableProjection,
    requester: Requester,
  ): Promise<Promise<unknown> | undefined> {
    try {
      const started = await startRebuild({ db, messageStore, messageStorePool, logger, projection, requester });
      return started.finished.catch(() => undefined); // kept on the progress row and logged by startRebuild
    } catch (error) {
      if (error instanceof RebuildRunningError) return undefined;
      throw error;
    }
  }

  return {
    async start(projections, requester) {
      const [first, ...rest] = projections;
      if (!first) return false;
      const firstRun = await rebuild(first, requester);
      const job = (async () => {
        await firstRun;
        for (const projection of rest) {
          try {
            await await rebuild(projection, requester);
          } catch (error) {
            logger.error({ err: error, projection: projection.name }, 'rebuild did not start');
          }
        }
      })();
      running.add(job);
      void job.finally(() => running.delete(job));
      return firstRun !== undefined;
    },
    busy: () => running.size > 0,
    async idle() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
