import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { createPersonalData } from '../../../personal-data/seal.ts';
import { NotFoundError } from '../../../web/errors.ts';
import type { AdminSectionFactory } from '../section.ts';
import { browseMessages } from '../../../message-queries/browse.ts';
import { loadMessage, loadSummary, relatedMessages } from '../../../message-queries/related.ts';
import {
  BOOKKEEPING_FIELD,
  BOOKKEEPING_SHOWN,
  browseHref,
  FILTER_FIELDS,
  parseBrowseQuery,
} from '../shared/browse-filters.ts';
import { SCAN_WINDOW } from '../../../message-queries/sql.ts';
import { parseGlobalPosition } from '../../../message-queries/stored.ts';
import { openSealedFields } from '../../../personal-data/unseal.ts';
import { messageView, summaryView, traceHref } from '../shared/message-views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

/** What the filter form shows back: the query as typed, and whether bookkeeping was asked for. */
function formValues(query: Record<string, unknown>): Record<string, string | boolean> {
  const typed = Object.fromEntries(
    FILTER_FIELDS.map((field) => [field, typeof query[field] === 'string' ? query[field] : '']),
  );
  return { ...typed, showBookkeeping: query[BOOKKEEPING_FIELD] === BOOKKEEPING_SHOWN };
}

/**
 * The message browser (newest first, filtered, in keyset pages) and a message's page with its
 * data, its cause and its consequences. Reads Message DB through src/message-queries, on the admin pool.
 */
export const messagesSection: AdminSectionFactory = ({ messageStorePool: pool, db }) => {
  const router = Router();
  // A sealed address is opened, then masked like any other: the admin sees whose it is, not its ciphertext.
  const personalData = createPersonalData(db);

  router.get('/', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const parsed = parseBrowseQuery(query);
    const form = formValues(query);
    if (!parsed.ok) {
      res.status(400).render('admin-messages', {
        title: 'Messages',
        form,
        errors: parsed.errors,
        messages: [],
        window: SCAN_WINDOW,
      });
      return;
    }
    const page = await browseMessages(pool, parsed.query);
    res.render('admin-messages', {
      title: 'Messages',
      form,
      errors: {},
      messages: page.messages.map(summaryView),
      olderHref:
        page.older === undefined
          ? undefined
          : browseHref(parsed.query.filters, page.older, parsed.query.showBookkeeping),
      newestHref:
        parsed.query.before === undefined
          ? undefined
          : browseHref(parsed.query.filters, undefined, parsed.query.showBookkeeping),
      searched: page.searched,
      window: SCAN_WINDOW,
    });
  });

  router.get('/:globalPosition', async (req, res) => {
    const globalPosition = parseGlobalPosition(req.params.globalPosition);
    const message = globalPosition === undefined ? undefined : await loadMessage(pool, globalPosition);
    if (!message) throw new NotFoundError('No message at that global position.');
    const data = await openSealedFields(personalData, message.data);
    const causedBy = message.causedBy;
    const [cause, related] = await Promise.all([
      causedBy === undefined ? undefined : loadSummary(pool, causedBy),
      relatedMessages(pool, message),
    ]);
    res.render('admin-message', {
      title: `${message.type} #${message.globalPosition}`,
      message: messageView({ ...message, data }),
      causedBy,
      cause: cause && summaryView(cause),
      consequences: related.consequences.map(summaryView),
      sameTrace: related.sameTrace.map(summaryView),
      sameTraceCut: related.sameTraceCut,
      searched: related.searched,
      wholeTraceHref: message.traceId === undefined ? undefined : traceHref(message.traceId),
    });
  });

  return { path: 'messages', title: 'Messages', router, viewsDir: VIEWS_DIR };
};
