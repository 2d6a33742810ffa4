import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { AdminSectionFactory } from '../section.ts';
import { loadSubscribers } from '../subscribers/overview.ts';
import { behindLabel, subscriberView } from '../subscribers/views.ts';
import { loadAuditChainState, type AuditChainState } from './audit-chain.ts';
import { minuteChart } from './chart.ts';
import { countLabel, messageHref, timeLabel } from './format.ts';
import { loadMessagesPerMinute, loadTotals } from './queries.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

/** What the dashboard says of the audit chain, in one line and a tone. */
function auditChainView(state: AuditChainState): { text: string; tone: 'ok' | 'warn' | 'muted' } {
  if (state.kind === 'not installed') return { text: 'audit chain: not installed on this database', tone: 'muted' };
  if (state.kind === 'unreadable') return { text: 'audit chain: its state could not be read (see the log)', tone: 'warn' };
  const signed = state.lastSignedHead ? `; last head signed at global position ${countLabel(state.lastSignedHead.globalPosition)}, ${timeLabel(state.lastSignedHead.signedAt)}` : '';
  const verification = state.lastVerification;
  if (!verification) return { text: `audit chain: not yet verified${signed}`, tone: 'muted' };
  const upTo = verification.upTo === null ? '' : ` up to global position ${countLabel(verification.upTo)}`;
  return verification.ok
    ? { text: `audit chain: verified${upTo}, ${timeLabel(verification.at)}${signed}`, tone: 'ok' }
    : { text: `audit chain: verification FAILED${upTo}, ${timeLabel(verification.at)}${signed}`, tone: 'warn' };
}

/** The portal's front page: totals, traffic in the last hour, subscribers' lag and trouble, the audit chain. */
export const dashboardSection: AdminSectionFactory = (deps) => {
  const { db, messageStorePool, logger } = deps;
  const router = Router();
  router.get('/', async (_req, res) => {
    const [totals, minutes, { subscribers, parked }, auditChain] = await Promise.all([
      loadTotals(db, messageStorePool),
      loadMessagesPerMinute(db),
      loadSubscribers(deps),
      loadAuditChainState(db, logger),
    ]);
    const stalled = subscribers.filter((subscriber) => subscriber.status?.state === 'stalled');
    const behind = subscribers.filter((subscriber) => subscriber.lag.behind > 0);
    res.render('admin-dashboard', {
      title: 'Dashboard',
      totals: {
        users: countLabel(totals.users),
        videos: countLabel(totals.videos),
        viewings: countLabel(totals.viewings),
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
      mostBehind: behind.length > 0 ? behindLabel(Math.max(...behind.map((s) => s.lag.behind))) : '0',
      stalled: stalled.map(subscriberView),
      parked: parked.total,
      parkedLabel: `${countLabel(parked.total)}${parked.more ? '+' : ''}`,
      auditChain: auditChainView(auditChain),
    });
  });
  return { path: '', title: 'Dashboard', router, viewsDir: VIEWS_DIR };
};
