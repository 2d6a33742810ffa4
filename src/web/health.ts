import { Router } from 'express';

export interface ReadinessChecks {
  /** Resolves when the app database answers. */
  readonly appDatabase: () => Promise<unknown>;
  /** Resolves with how many of the app database's migrations have not run. */
  readonly pendingMigrations: () => Promise<number>;
  /** Resolves when Message DB is installed and answering. */
  readonly messageStore: () => Promise<unknown>;
  /** A check that takes longer counts as failed (a load balancer will not wait either). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 3000;

/** Settles with the check's value, or rejects when it fails or takes longer than `ms`. */
function within<T>(ms: number, check: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check(), late]).finally(() => clearTimeout(timer));
}

/**
 * /health: the process answers. /ready: this node can serve pages, for a load balancer: both
 * databases answer, Message DB is installed and no migration is pending. It names which check
 * failed but never why (no errors, versions or subscriber details: those are for /status). A
 * stalled subscriber does not make a node unready: taking it out of rotation would not help.
 */
export function createHealthRouter(checks: ReadinessChecks): Router {
  const timeoutMs = checks.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const passes = (check: () => Promise<unknown>): Promise<boolean> =>
    within(timeoutMs, check).then(
      () => true,
      () => false,
    );
  const router = Router();
  router.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const [appDatabase, messageStore, pending] = await Promise.all([
      passes(checks.appDatabase),
      passes(checks.messageStore),
      within(timeoutMs, checks.pendingMigrations).catch(() => undefined),
    ]);
    const migrations = pending === undefined ? 'unknown' : pending === 0 ? 'ok' : 'pending';
    const ready = appDatabase && messageStore && migrations === 'ok';
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: ready ? 'ready' : 'not ready',
        checks: {
          appDatabase: appDatabase ? 'ok' : 'unreachable',
          migrations,
          messageStore: messageStore ? 'ok' : 'unreachable',
        },
      });
  });
  return router;
}
