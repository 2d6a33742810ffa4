import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { createPersonalData } from '../../../personal-data/seal.ts';
import { issueCsrfToken } from '../../../web/csrf.ts';
import type { AdminDeps, AdminSectionFactory } from '../section.ts';
import { parseBrowseQuery } from '../shared/browse-filters.ts';
import { actorOf, recordAdminAction } from '../shared/record-admin-action.ts';
import { parseTraceId } from '../shared/trace-id.ts';
import { categoryHasMessages, storeHead } from '../../../message-queries/counts.ts';
import type { ExportFormat } from '../../../exports/formats.ts';
import { streamExport } from '../../../exports/stream.ts';
import type { StoredMessage } from '../../../message-queries/stored.ts';
import { redactForDisplay } from '../../../personal-data/redact.ts';
import { openSealedFields } from '../../../personal-data/unseal.ts';
import { formsOf, type ExportForms, type Refusal } from './forms.ts';
import { categoryExport, traceExport, userExport, videoExport, type ExportSubject } from '../../../exports/subjects.ts';
import { formBody } from '../shared/form-body.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** A user's or a video's history: its id (a UUID, any case) and CSV or JSON. */
const idForm = z.object({ id: z.uuid().transform((id) => id.toLowerCase()), format: z.enum(['csv', 'json']) });

/** The two exports of one thing's whole history, which differ only in what they are of and what they say. */
const HISTORIES = [
  {
    form: 'user',
    field: 'userId',
    subject: userExport,
    refused: 'Give a user id (a UUID, as on the user’s page) and a format, CSV or JSON.',
    none: 'No message is by or about that user: check the id on the user’s page.',
  },
  {
    form: 'video',
    field: 'videoId',
    subject: videoExport,
    refused: 'Give a video id (a UUID, as on the video’s page) and a format, CSV or JSON.',
    none: 'No message is about that video: check the id on the video’s page.',
  },
] as const;
const categoryFormats = z.enum(['jsonl', 'csv']);

/**
 * Exports: a user's or a video's complete history (CSV, JSON), a trace (JSON), a category over a time range
 * (JSON lines, CSV). Each is streamed as it is read, with the store fixed at its head when the
 * export began, and recorded as ExportMade with its count once every message is written.
 */
export const exportsSection: AdminSectionFactory = ({
  messageStorePool: pool,
  messageStore,
  db,
  logger,
}: AdminDeps) => {
  const router = Router();
  // As on a message's page: a sealed address is opened and then masked, never exported as ciphertext.
  const personalData = createPersonalData(db);
  const show = async (message: StoredMessage): Promise<StoredMessage> => ({
    ...message,
    data: redactForDisplay(await openSealedFields(personalData, message.data)),
    metadata: redactForDisplay(message.metadata) as StoredMessage['metadata'],
  });

  /** Streams the export; `whenEmpty` answers instead when there is nothing to export. */
  async function run(
    req: Request,
    res: Response,
    subject: ExportSubject,
    format: ExportFormat,
    whenEmpty?: () => void,
  ): Promise<void> {
    await streamExport({
      pool,
      logger,
      req,
      res,
      subject,
      format,
      show,
      completed: (messages) =>
        recordAdminAction(messageStore, actorOf(req), 'ExportMade', {
          kind: subject.kind,
          subject: subject.subject,
          format,
          messages,
        }),
      whenEmpty,
    });
  }

  /**
   * The exports page, with a refused form shown again as it was typed and what to fix next to
   * it: an admin who mistyped an id stays in the portal with their input, not on the site's
   * error page.
   */
  function renderPage(req: Request, res: Response, status: number, forms: ExportForms, refused?: Refusal): void {
    issueCsrfToken(req, res);
    res.status(status).render('admin-exports', { title: 'Exports', forms, refused });
  }

  router.get('/', (req, res) => {
    // Linked from a user's or a video's page with its id, to export it in one click.
    renderPage(req, res, 200, formsOf({ user: req.query, video: req.query }));
  });

  for (const history of HISTORIES) {
    router.post(`/${history.form}`, async (req, res) => {
      const fields = formBody(req);
      const form = idForm.safeParse({ id: fields[history.field], format: fields.format });
      const forms = formsOf({ [history.form]: fields });
      if (!form.success) return renderPage(req, res, 400, forms, { form: history.form, text: history.refused });
      const subject = history.subject(form.data.id, await storeHead(pool));
      await run(req, res, subject, form.data.format, () =>
        renderPage(req, res, 404, forms, { form: history.form, text: history.none }),
      );
    });
  }

  router.post('/trace', async (req, res) => {
    const traceId = parseTraceId(formBody(req).traceId);
    const forms = formsOf({ trace: formBody(req) });
    if (traceId === undefined)
      return renderPage(req, res, 400, forms, {
        form: 'trace',
        text: 'Give a trace id (from a message’s page), without control characters.',
      });
    await run(req, res, traceExport(traceId, await storeHead(pool)), 'json', () =>
      renderPage(req, res, 404, forms, {
        form: 'trace',
        text: 'No message carries that trace id: copy it from a message’s page.',
      }),
    );
  });

  router.post('/category', async (req, res) => {
    const fields = formBody(req);
    const forms = formsOf({ category: fields });
    const format = categoryFormats.safeParse(fields.format);
    // The same rules as the message browser's filters, so the two agree on what a category and a time are.
    const parsed = parseBrowseQuery({ category: fields.category, from: fields.from, to: fields.to });
    if (!format.success || !parsed.ok || !parsed.query.filters.category) {
      return renderPage(req, res, 400, forms, {
        form: 'category',
        text: 'Give a category, a format (JSON lines or CSV), and optionally a time range (UTC, from before to).',
      });
    }
    const { category, from, to } = parsed.query.filters;
    if (!(await categoryHasMessages(pool, category)))
      return renderPage(req, res, 404, forms, {
        form: 'category',
        text: 'No message is in that category: see Streams for the categories there are.',
      });
    const subject = await categoryExport(
      pool,
      category,
      { ...(from && { from }), ...(to && { to }) },
      await storeHead(pool),
    );
    await run(req, res, subject, format.data);
  });

  return { path: 'exports', title: 'Exports', router, viewsDir: VIEWS_DIR };
};
