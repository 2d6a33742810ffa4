import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { cachedRead } from '../../../web/cached-read.ts';
import type { AdminSectionFactory } from '../section.ts';
import { loadSubscribers } from '../shared/subscriber-overview.ts';
import { behindLabel, subscriberView } from '../shared/subscriber-views.ts';
import { auditChainView, loadAuditChainState } from './audit-chain.ts';
import { minuteChart } from './chart.ts';
import { countLabel, messageHref } from '../shared/format.ts';
import { loadMessagesPerMinute, loadTotals } from './queries.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

/** The portal's front page: totals, traffic in the last hour, subscribers' lag and trouble, the audit chain. */
export const dashboardSection: AdminSectionFactory = (deps) => {
  const { db, messageStorePool, logger } = deps;
  const router = Router();
  // Twelve statements on two databases and 26 subscribers' lag: the same for every admin, so
  // admins refreshing together within the page cache's bound share one read of them.
  const figures = cachedRead(
    () =>
      Promise.all([
        loadTotals(db, messageStorePool),
        loadMessagesPerMinute(db),
        loadSubscribers(deps),
        loadAuditChainState(db, messageStorePool, logger),
      ]),
    deps.dashboardCacheMs ?? 0,
    deps.now,
  );
  router.get('/', async (_req, res) => {
    const [totals, minutes, { subscribers, parked }, auditChain] = await figures.get();
    const stalled = subscribers.filter((subscriber) => subscriber.status?.state === 'stalled');
    const behind = subscribers.filter((subscriber) => subscriber.lag.behind > 0);
    res.render('admin-dashboard', {
      title: 'Dashboard',
      totals: {
        users: countLabel(totals.users),
        videos: countLabel(totals.videos),
        viewings: countLabel(totals.viewings),
        countedViewings: countLabel(totals.countedViewings),
        messages: countLabel(totals.messages),
        streams: countLabel(totals.streams),
        countedUpTo: countLabel(totals.countedUpTo),
        storeHead: countLabel(totals.storeHead),
        storeHeadHref: totals.storeHead > 0 ? messageHref(totals.storeHead) : undefined,
        behind: totals.storeHead > totals.countedUpTo,
      },
      chart: minuteChart(minutes),
      subscribers: subscribers.map(subscriberView),
      subscriberCount: subscribers.length,
      behindCount: behind.length,
      // Numbers, not labels: the template picks each noun's number with plural().
      mostBehindCount: Math.max(0, ...behind.map((s) => s.lag.behind)),
      messagesLastHour: minutes.reduce((sum, minute) => sum + minute.messages, 0),
      mostBehind: behind.length > 0 ? behindLabel(Math.max(...behind.map((s) => s.lag.behind))) : '0',
      stalled: stalled.map(subscriberView),
      parked: parked.total,
      parkedLabel: `${countLabel(parked.total)}${parked.more ? '+' : ''}`,
      auditChain: auditChainView(auditChain),
    });
  });
  return { path: '', title: 'Dashboard', router, viewsDir: VIEWS_DIR };
};
