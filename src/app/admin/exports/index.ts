import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { issueCsrfToken } from '../../../web/csrf.ts';
import { BadRequestError, NotFoundError } from '../../../web/errors.ts';
import type { AdminDeps, AdminSectionFactory } from '../section.ts';
import { parseBrowseQuery } from '../messages/filters.ts';
import { actorOf, recordAdminAction } from '../messages/record-admin-action.ts';
import { parseTraceId } from '../traces/index.ts';
import { exportBatches, storeHead } from './batches.ts';
import { WRITERS, type ExportFormat } from './formats.ts';
import { sendExport } from './send.ts';
import { categoryExport, traceExport, userExport, type ExportSubject } from './subjects.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const userForm = z.object({ userId: z.uuid().transform((id) => id.toLowerCase()), format: z.enum(['csv', 'json']) });
const categoryFormats = z.enum(['jsonl', 'csv']);

const body = (req: Request): Record<string, unknown> => (req.body as Record<string, unknown> | undefined) ?? {};

/**
 * Exports: a user's complete history (CSV, JSON), a trace (JSON), a category over a time range
 * (JSON lines, CSV). Each is streamed as it is read, with the store fixed at its head when the
 * export began, and recorded as ExportMade with its count once every message is written.
 */
export const exportsSection: AdminSectionFactory = ({ messageStorePool: pool, messageStore, logger }: AdminDeps) => {
  const router = Router();

  async function run(req: Request, res: Response, subject: ExportSubject, format: ExportFormat, whenEmpty?: string): Promise<void> {
    const batches = exportBatches(pool, subject.scan);
    const first = await batches.next();
    if (first.done && whenEmpty) throw new NotFoundError(whenEmpty);
    const about = { kind: subject.kind, subject: subject.subject, upToGlobalPosition: subject.scan.upTo, exportedAt: new Date().toISOString() };
    try {
      await sendExport({
        res,
        writer: WRITERS[format],
        filename: subject.filename,
        about,
        first: first.done ? [] : first.value,
        rest: batches,
        completed: (messages) => recordAdminAction(messageStore, actorOf(req), 'ExportMade', { kind: subject.kind, subject: subject.subject, format, messages }),
      });
    } catch (error) {
      // Part of the file is on its way: the client must see a broken download, not a short file.
      logger.error({ err: error, traceId: req.context.traceId, export: subject.kind }, 'export failed');
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  router.get('/', (req, res) => {
    issueCsrfToken(req, res);
    res.render('admin-exports', { title: 'Exports' });
  });

  router.post('/user', async (req, res) => {
    const form = userForm.safeParse(body(req));
    if (!form.success) throw new BadRequestError('Give a user id (a UUID) and a format, CSV or JSON.');
    const subject = userExport(form.data.userId, await storeHead(pool));
    await run(req, res, subject, form.data.format, 'No message is by or about that user.');
  });

  router.post('/trace', async (req, res) => {
    const traceId = parseTraceId(body(req).traceId);
    if (traceId === undefined) throw new BadRequestError('Give a trace id.');
    await run(req, res, traceExport(traceId, await storeHead(pool)), 'json', 'No message carries that trace id.');
  });

  router.post('/category', async (req, res) => {
    const fields = body(req);
    const format = categoryFormats.safeParse(fields.format);
    // The same rules as the message browser's filters, so the two agree on what a category and a time are.
    const parsed = parseBrowseQuery({ category: fields.category, from: fields.from, to: fields.to });
    if (!format.success || !parsed.ok || !parsed.query.filters.category) {
      throw new BadRequestError('Give a category, a format (JSON lines or CSV), and optionally a time range (UTC, from before to).');
    }
    const { category, from, to } = parsed.query.filters;
    const known = await pool.query('SELECT 1 FROM messages WHERE category(stream_name) = $1 LIMIT 1', [category]);
    if (known.rowCount === 0) throw new NotFoundError('No message is in that category.');
    const subject = await categoryExport(pool, category, { ...(from && { from }), ...(to && { to }) }, await storeHead(pool));
    await run(req, res, subject, format.data);
  });

  return { path: 'exports', title: 'Exports', router, viewsDir: VIEWS_DIR };
};
