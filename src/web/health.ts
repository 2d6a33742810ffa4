import { Router } from 'express';
import type { SubscriberStatus } from '../subscription/status.ts';

export interface ReadinessChecks {
  /** Resolves when the app database answers. */
  readonly appDatabase: () => Promise<unknown>;
  /** Resolves with Message DB's version when it is installed and answering. */
  readonly messageStore: () => Promise<string>;
  readonly subscribers: () => readonly SubscriberStatus[];
}

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; detail?: string }> {
  try {
    const value = await probe();
    return typeof value === 'string' ? { ok: true, detail: value } : { ok: true };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** /health: the process answers. /ready: it can do its job (503 with the reason when not). */
export function createHealthRouter(checks: ReadinessChecks): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const [appDatabase, messageStore] = await Promise.all([check(checks.appDatabase), check(checks.messageStore)]);
    const subscribers = checks.subscribers().map(({ subscriberId, state, position, caughtUp, failure }) => ({
      subscriberId,
      state,
      position,
      caughtUp,
      ...(failure && state === 'stalled' && { failure: failure.error }),
    }));
    const ready = appDatabase.ok && messageStore.ok && subscribers.every((s) => s.state === 'running');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', appDatabase, messageStore, subscribers });
  });
  return router;
}
