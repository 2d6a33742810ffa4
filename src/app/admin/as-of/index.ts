import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { catalogCountsAsOf, changesBetween, entityAsOf, messagesBetween } from '../../../as-of/index.ts';
import { createPersonalData } from '../../../personal-data/seal.ts';
import { openSealedFields } from '../../../personal-data/unseal.ts';
import type { AdminSectionFactory } from '../section.ts';
import { AsOfQueryError, formOf, parseAsOfQuery } from './params.ts';
import { catalogView, entityView } from './views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

/**
 * A user or a video as it was at a chosen point (a global position or a time), or at two with
 * what changed between them; and the catalog's counts as of a date. Folded from the log on
 * request, with the contracts the site reads with, so no projection has to remember the past.
 */
export const asOfSection: AdminSectionFactory = ({ messageStore, messageStorePool, db, viewingCountWindowMs }) => {
  // A sealed address is opened, then masked as on a message's page: whose it is, not "[sealed]".
  const personalData = createPersonalData(db);
  const openData = (data: unknown) => openSealedFields(personalData, data, { keepUnopened: true });
  // Viewings counted as the live projections count them (the site's default when not given).
  const rules = viewingCountWindowMs === undefined ? undefined : { viewingCountWindowMs };
  const router = Router();

  router.get('/', async (req, res) => {
    let query;
    try {
      query = parseAsOfQuery(req.query);
    } catch (error) {
      if (!(error instanceof AsOfQueryError)) throw error;
      res.status(400).render('admin-as-of', {
        title: 'As of',
        form: formOf(req.query),
        error: error.message,
        errorField: error.field,
      });
      return;
    }
    const view: Record<string, unknown> = { title: 'As of', form: query.form };
    if (query.entity) {
      const { kind, id, at, compare } = query.entity;
      const asOf = await entityAsOf(messageStore, kind, id, compare ? [at, compare] : [at], rules, openData);
      if (!asOf) {
        res.status(404).render('admin-as-of', {
          ...view,
          error: `No ${kind.label.toLowerCase()} with id ${id} has any message in the log.`,
          errorField: 'id',
        });
        return;
      }
      const [first, second] = asOf.snapshots;
      const changes = first && second ? changesBetween(first.state.fields, second.state.fields) : undefined;
      const between = compare ? await messagesBetween(messageStore, kind, id, at, compare) : undefined;
      view.entity = entityView(asOf, between, changes);
    }
    if (query.date) view.catalog = catalogView(query.date, await catalogCountsAsOf(messageStorePool, query.date));
    res.render('admin-as-of', view);
  });

  return { path: 'as-of', title: 'As of', router, viewsDir: VIEWS_DIR };
};
