import type { Express } from 'express';
import type { Knex } from 'knex';
import type pg from 'pg';
import { migrationSource } from '../migrations/index.ts';
import { createHomePageAggregator } from './aggregators/home-page/index.ts';
import { createHomeApp } from './app/home/index.ts';
import { createRecordViewingsApp } from './app/record-viewings/index.ts';
import type { DatabaseUrls, TrustProxy } from './config/env.ts';
import { createAppDatabase } from './db/app-database.ts';
import type { Logger } from './logger.ts';
import { createMessageStore, createMessageStorePool, type MessageStore } from './message-store/index.ts';
import type { RetryPolicy } from './subscription/retry.ts';
import type { Subscription } from './subscription/subscription.ts';
import { createExpressApp } from './web/create-app.ts';
import { createHealthRouter } from './web/health.ts';
import { createStatusRouter } from './web/status.ts';

export interface SystemConfig {
  readonly urls: DatabaseUrls;
  readonly logger: Logger;
  readonly cookieSecret: string;
  readonly production: boolean;
  /** Express's `trust proxy` (TRUST_PROXY); unset trusts none. */
  readonly trustProxy?: TrustProxy;
  /** Bearer token for GET /status (STATUS_TOKEN). */
  readonly statusToken?: string;
  readonly subscriptions?: { readonly pollIntervalMs?: number; readonly batchSize?: number; readonly retry?: RetryPolicy };
}

export interface System {
  readonly app: Express;
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly messageStorePool: pg.Pool;
  readonly subscriptions: readonly Subscription[];
  readonly aggregators: { readonly homePage: ReturnType<typeof createHomePageAggregator> };
  start(): void;
  stop(): Promise<void>;
}

/** The composition root: every part is built here from explicit dependencies. */
export function createSystem(config: SystemConfig): System {
  const { logger, urls } = config;
  const db = createAppDatabase(urls.databaseUrl, { logger });
  const messageStorePool = createMessageStorePool(urls.messageStoreUrl, { logger });
  const messageStore = createMessageStore({ pool: messageStorePool, url: urls.messageStoreUrl, logger });

  const subscriptionSettings = config.subscriptions ?? {};
  const homePage = createHomePageAggregator({ db, messageStore, logger, subscription: subscriptionSettings });
  const subscriptions: Subscription[] = [homePage.subscription];

  const home = createHomeApp({ db });
  const recordViewings = createRecordViewingsApp({ messageStore });
  const probes = [
    createHealthRouter({
      appDatabase: () => db.raw('SELECT 1'),
      pendingMigrations: () => countPendingMigrations(db),
      messageStore: () => messageStore.version(),
    }),
    createStatusRouter({
      subscribers: () => subscriptions.map((subscription) => subscription.status()),
      token: config.statusToken,
      production: config.production,
    }),
  ];

  const app = createExpressApp({
    logger,
    cookieSecret: config.cookieSecret,
    production: config.production,
    trustProxy: config.trustProxy,
    viewDirs: [home.viewsDir],
    routes: [
      { path: '/', router: home.router },
      { path: '/record-viewing', router: recordViewings.router },
    ],
    probes,
  });

  let stopped = false;
  return {
    app,
    db,
    messageStore,
    messageStorePool,
    subscriptions,
    aggregators: { homePage },
    start() {
      for (const subscription of subscriptions) subscription.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      await messageStore.close();
      await Promise.all([messageStorePool.end(), db.destroy()]);
    },
  };
}

/**
 * Migrations in migrations/index.ts that the app database has not run. Read-only, unlike knex's
 * migrate.list(), which creates its tables when they are missing: a probe must not write.
 */
async function countPendingMigrations(db: Knex): Promise<number> {
  const known = (await migrationSource.getMigrations([])).map((migration) => migrationSource.getMigrationName(migration));
  const ran = (await db.schema.hasTable('knex_migrations')) ? new Set(await db('knex_migrations').pluck('name')) : new Set();
  return known.filter((name) => !ran.has(name)).length;
}
