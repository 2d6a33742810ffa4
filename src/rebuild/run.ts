import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type pg from 'pg';
import { adminActionsStreamName, type AdminAction } from '../contracts/admin-actions.ts';
import type { Logger } from '../logger.ts';
import type { MessageStore } from '../message-store/index.ts';
import { claimRun, recordProgress } from './progress.ts';
import { rebuildProjection, type RebuildReport, type RebuildResult } from './rebuild.ts';
import type { RebuildableProjection } from './registry.ts';

/** Who asked: an admin in the portal, or an operator at the CLI (whose adminId stands for their OS account). */
export interface Requester {
  readonly adminId: string;
  /** The user behind it, when there is one (metadata.userId). */
  readonly userId: string | null;
  /** As the progress row shows it: `admin:<id>`, `cli:<user>@<host>`. */
  readonly label: string;
  readonly traceId: string;
}

export interface RunRebuildOptions {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly messageStorePool: pg.Pool;
  readonly logger: Logger;
  readonly projection: RebuildableProjection;
  readonly requester: Requester;
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (report: RebuildReport) => void | Promise<void>;
  readonly onSwapped?: () => Promise<void>;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface StartedRebuild {
  readonly runId: string;
  /** Settles when the rebuild has swapped in (or failed: the progress row says why). */
  readonly finished: Promise<RebuildResult>;
}

/**
 * Starts one rebuild as an operator's action: claims the projection (RebuildRunningError while
 * another rebuild of it runs) and records ProjectionRebuildRequested before it resolves, so a
 * page shown next finds the run; then rebuilds, records ProjectionRebuilt, and keeps a failure
 * on the progress row for the page to show.
 */
export async function startRebuild(options: RunRebuildOptions): Promise<StartedRebuild> {
  const { db, messageStore, projection, requester, logger } = options;
  const runId = randomUUID();
  await claimRun(db, { projection: projection.name, runId, requestedBy: requester.label });
  const stream = adminActionsStreamName(requester.adminId);
  const metadata = { traceId: requester.traceId, userId: requester.userId };
  const failed = async (error: unknown) => {
    await recordProgress(db, runId, { state: 'failed', error: describe(error), finished: true }).catch(() => undefined);
    logger.error({ err: error, projection: projection.name, by: requester.label }, 'projection rebuild failed');
  };
  const requested: AdminAction = {
    id: randomUUID(),
    type: 'ProjectionRebuildRequested',
    data: { adminId: requester.adminId, projection: projection.name },
    metadata,
  };
  try {
    await messageStore.write(stream, requested);
  } catch (error) {
    await failed(error);
    throw error;
  }
  const finished = (async () => {
    try {
      const result = await rebuildProjection({
        db,
        messageStore,
        messageStorePool: options.messageStorePool,
        projection,
        runId,
        ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
        ...(options.signal && { signal: options.signal }),
        ...(options.onProgress && { onProgress: options.onProgress }),
        ...(options.onSwapped && { onSwapped: options.onSwapped }),
      });
      const rebuilt: AdminAction = {
        id: randomUUID(),
        type: 'ProjectionRebuilt',
        data: { adminId: requester.adminId, projection: projection.name, messages: result.messages, ms: result.ms },
        metadata,
      };
      await messageStore.write(stream, rebuilt);
      logger.info(
        {
          projection: projection.name,
          messages: result.messages,
          skipped: result.skipped,
          ms: result.ms,
          by: requester.label,
        },
        'projection rebuilt',
      );
      return result;
    } catch (error) {
      await failed(error);
      throw error;
    }
  })();
  return { runId, finished };
}

/** Starts a rebuild and waits for it to end. */
export async function runRebuild(options: RunRebuildOptions): Promise<RebuildResult> {
  return (await startRebuild(options)).finished;
}
