import type { Router } from 'express';
import type { Knex } from 'knex';
import type pg from 'pg';
import type { Logger } from '../../logger.ts';
import type { MessageStore } from '../../message-store/index.ts';
import type { SubscriberStatus } from '../../subscription/status.ts';
import type { Subscription } from '../../subscription/subscription.ts';
import type { ReplayParked } from './parked/replay.ts';

/** Everything an admin page may read or do; each section takes what it needs. */
export interface AdminDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  /** For reads Message DB's functions do not offer (the message browser's filters, counts). */
  readonly messageStorePool: pg.Pool;
  readonly logger: Logger;
  /** The status of the subscribers this process runs (others run elsewhere: see their positions). */
  readonly subscriberStatus: () => readonly SubscriberStatus[];
  /** Every subscription this system defines, running here or not. */
  readonly subscriptions: readonly Subscription[];
  /** Hands a parked message back to the component that parked it. */
  readonly replayParked?: ReplayParked;
  /** One viewing per visitor and video counts per this window (VIEWING_COUNT_WINDOW_MINUTES): rebuilds count as the live aggregators do. */
  readonly viewingCountWindowMs?: number;
  /**
   * How long the dashboard's figures may be shown again to the next admin (PAGE_CACHE_MS); unset
   * or 0, they are read for every request (one that comes while a read is under way gets that read).
   */
  readonly dashboardCacheMs?: number;
  /** The clock that dates the dashboard's shared read: Date.now, unless a test moves it by hand. */
  readonly now?: () => number;
}

/** One part of the admin portal: its routes under /admin/<path>, and its nav entry. */
export interface AdminSection {
  /** Under /admin; '' is the dashboard. */
  readonly path: string;
  /** In the admin nav; undefined keeps it out (pages reached by links only). */
  readonly title?: string;
  readonly router: Router;
  readonly viewsDir?: string;
}

export type AdminSectionFactory = (deps: AdminDeps) => AdminSection;
