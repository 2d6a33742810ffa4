import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { countLabel, streamMessagesHref, timeLabel } from '../shared/format.ts';
import type { AdminSectionFactory } from '../section.ts';
import { afterCategoryParam, afterTypeParam, beforeParam, categoryParam, encodeTypeCursor } from './params.ts';
import { createStreamsQueries } from './queries.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const PAGE_SIZE = 50;

function href(base: string, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, String(value));
  const text = query.toString();
  return text ? `${base}?${text}` : base;
}

const categoryHref = (category: string): string => href('/admin/streams', { category });
const typesHref = (category: string): string => href('/admin/streams/types', { category });

/** Streams, categories and message types with their counts, all from the admin-streams projection. */
export const streamsSection: AdminSectionFactory = ({ db }) => {
  const queries = createStreamsQueries(db);
  const router = Router();

  router.get('/', async (req, res) => {
    const category = categoryParam(req.query.category);
    const before = beforeParam(req.query.before);
    const page = await queries.streams({ category, before, pageSize: PAGE_SIZE });
    res.render('admin-streams', {
      title: 'Streams',
      tab: 'streams',
      category: category ?? '',
      streams: page.rows.map((row) => ({
        streamName: row.streamName,
        href: streamMessagesHref(row.streamName),
        category: row.category,
        categoryHref: categoryHref(row.category),
        messages: countLabel(row.messageCount),
        lastPosition: row.lastPosition,
        lastGlobalPosition: row.lastGlobalPosition,
        lastTime: timeLabel(row.lastTime),
      })),
      firstHref: before === undefined ? undefined : href('/admin/streams', { category }),
      nextHref: page.next === undefined ? undefined : href('/admin/streams', { category, before: page.next }),
    });
  });

  router.get('/categories', async (req, res) => {
    const after = afterCategoryParam(req.query.after);
    const page = await queries.categories({ after, pageSize: PAGE_SIZE });
    res.render('admin-categories', {
      title: 'Categories',
      tab: 'categories',
      categories: page.rows.map((row) => ({
        category: row.category,
        streamsHref: categoryHref(row.category),
        typesHref: typesHref(row.category),
        messagesHref: href('/admin/messages', { category: row.category }),
        messages: countLabel(row.messageCount),
        streams: countLabel(row.streamCount),
        lastTime: timeLabel(row.lastTime),
      })),
      firstHref: after === undefined ? undefined : '/admin/streams/categories',
      nextHref: page.next === undefined ? undefined : href('/admin/streams/categories', { after: page.next }),
    });
  });

  router.get('/types', async (req, res) => {
    const category = categoryParam(req.query.category);
    const after = afterTypeParam(req.query.after);
    const page = await queries.types({ category, after, pageSize: PAGE_SIZE });
    res.render('admin-message-types', {
      title: 'Message types',
      tab: 'types',
      category: category ?? '',
      types: page.rows.map((row) => ({
        category: row.category,
        categoryHref: categoryHref(row.category),
        type: row.type,
        messagesHref: href('/admin/messages', { category: row.category, type: row.type }),
        messages: countLabel(row.messageCount),
        lastTime: timeLabel(row.lastTime),
      })),
      firstHref: after === undefined ? undefined : href('/admin/streams/types', { category }),
      nextHref:
        page.next === undefined
          ? undefined
          : href('/admin/streams/types', { category, after: encodeTypeCursor(page.next) }),
    });
  });

  return { path: 'streams', title: 'Streams', router, viewsDir: VIEWS_DIR };
};
