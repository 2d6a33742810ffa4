import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { AdminSectionFactory } from '../section.ts';
import { loadSubscribers } from '../shared/subscriber-overview.ts';
import { subscriberView } from '../shared/subscriber-views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

/** Every subscriber the system defines: position, its category's head, lag, state and what it parked. */
export const subscribersSection: AdminSectionFactory = (deps) => {
  const router = Router();
  router.get('/', async (_req, res) => {
    const { subscribers, parked } = await loadSubscribers(deps);
    res.render('admin-subscribers', {
      title: 'Subscribers',
      subscribers: subscribers.map(subscriberView),
      parkedMore: parked.more,
    });
  });
  return { path: 'subscribers', title: 'Subscribers', router, viewsDir: VIEWS_DIR };
};
