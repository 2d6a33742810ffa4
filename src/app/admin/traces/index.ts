import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { issueCsrfToken } from '../../../web/csrf.ts';
import { NotFoundError } from '../../../web/errors.ts';
import type { AdminSectionFactory } from '../section.ts';
import { displayTime } from '../shared/message-views.ts';
import { parseTraceId } from '../shared/trace-id.ts';
import { findTrace, TRACE_LIMIT } from '../../../message-queries/traces.ts';
import { causationTree } from './tree.ts';
import { traceNodeView } from './views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

/** A trace: every message of one user action, as a causation tree with times. Reached by links. */
export const tracesSection: AdminSectionFactory = ({ messageStorePool: pool }) => {
  const router = Router();

  router.get('/:traceId', async (req, res) => {
    const traceId = parseTraceId(req.params.traceId);
    if (traceId === undefined) throw new NotFoundError('That is not a trace id.');
    const found = await findTrace(pool, traceId);
    const view = { title: `Trace ${traceId}`, traceId };
    if (found.messages.length === 0) {
      res.status(404).render('admin-trace', { ...view, nodes: [] });
      return;
    }
    issueCsrfToken(req, res);
    const start = found.messages[0]!.time;
    const last = found.messages.at(-1)!.time;
    res.render('admin-trace', {
      ...view,
      nodes: causationTree(found.messages).map((node) => traceNodeView(node, start)),
      count: found.messages.length,
      truncated: found.truncated,
      limit: TRACE_LIMIT,
      startedAt: displayTime(start),
      lasted: `${last.getTime() - start.getTime()} ms`,
    });
  });

  return { path: 'traces', router, viewsDir: VIEWS_DIR };
};
