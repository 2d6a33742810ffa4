import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Knex } from 'knex';
import type pg from 'pg';
import { migrationSource } from '../migrations/index.ts';
import { createAuditChainAggregator } from './aggregators/audit-chain/index.ts';
import { liveSubscriptions, type ProjectionDefinition } from './aggregators/definition.ts';
import { PROJECTIONS, type ProjectionName } from './aggregators/projections.ts';
import { createIdentityComponent } from './components/identity/index.ts';
import { createAccountLinks } from './account-links/index.ts';
import { createMailTransport, createSendEmailComponent, type RetryDelays } from './components/send-email/index.ts';
import { createVideoPublishingComponent, DEFAULT_CREATOR_QUOTA } from './components/video-publishing/index.ts';
import { createLocalVideoStore, type VideoStore } from './video-store/index.ts';
import { resolveMediaTools } from './media-tools.ts';
import { DEVELOPMENT_AUDIT_KEY } from './audit/key.ts';
import { createHomeApp } from './app/home/index.ts';
import { createCreatorsPortalApp } from './app/creators-portal/index.ts';
import { createVideosApp } from './app/videos/index.ts';
import { createAdminApp } from './app/admin/index.ts';
import { createAccountApp } from './app/account/index.ts';
import { createPlaybackApp } from './app/playback/index.ts';
import { createAccountQueries } from './app/account/queries.ts';
import { demoPreparing, type SeedingProgress } from './demo/progress.ts';
import { replayThroughProcessors } from './app/admin/parked/replay.ts';
import { adminSections } from './app/admin/sections.ts';
import { createAuthenticateApp } from './app/authenticate/index.ts';
import { createCredentialsQueries } from './app/authenticate/queries.ts';
import { createSessions } from './app/authenticate/sessions.ts';
import { createRecordViewingsApp } from './app/record-viewings/index.ts';
import { createRegisterUsersApp } from './app/register-users/index.ts';
import { createPasswordResetApp, VIEWS_DIR as PASSWORDS_VIEWS_DIR } from './app/passwords/index.ts';
import { createChangePasswordApp } from './app/passwords/account.ts';
import { createAccountEmailApp } from './app/account-email/index.ts';
import { createProfilesApp } from './app/profiles/index.ts';
import { createSearchApp, SEARCH_POOL_MAX, SEARCH_TIMEOUT_MS } from './app/search/index.ts';
import { createProfileQueries } from './app/profiles/queries.ts';
import {
  DEFAULTS,
  defaultSiteUrl,
  type Limit,
  type LoginThrottleSettings,
  type MailSettings,
  type RateLimitSettings,
  type VideoSettings,
} from './config/defaults.ts';
import type { DatabaseUrls, TrustProxy } from './config/env.ts';
import { createAppDatabase } from './db/app-database.ts';
import { createPersonalData } from './personal-data/seal.ts';
import type { Logger } from './logger.ts';
import { messageVersions } from './contracts/versions.ts';
import {
  createMessageStore,
  createMessageStorePool,
  type ConsumerGroup,
  type MessageStore,
  withSharedReads,
} from './message-store/index.ts';
import type { ComponentProcessor } from './subscription/component-processor.ts';
import type { Processor } from './subscription/processor.ts';
import { DEFAULT_RETRY } from './subscription/retry.ts';
import type { SubscriberStatus } from './subscription/status.ts';
import type { Subscription, SubscriptionSettings } from './subscription/subscription.ts';
import { createSubscriberTurns } from './subscription/turns.ts';
import { createExpressApp } from './web/create-app.ts';
import { createDeviceCookies } from './web/device-cookie.ts';
import { createHealthRouter } from './web/health.ts';
import { createLoginThrottle } from './web/login-throttle.ts';
import { createPasswordHasher } from './web/passwords.ts';
import { createRateLimits } from './web/rate-limits.ts';
import { createStatusRouter } from './web/status.ts';
import { createVisitorKeys } from './web/visitor-key.ts';

export interface SystemConfig {
  readonly urls: DatabaseUrls;
  readonly logger: Logger;
  /** The first key signs; every key is accepted (rotation). */
  readonly cookieSecret: string | readonly string[];
  readonly production: boolean;
  /** Compile templates once even outside production (the tests do: compiling at every render was a third of their CPU). */
  readonly viewCache?: boolean;
  /** Express's `trust proxy` (TRUST_PROXY); unset trusts none. */
  readonly trustProxy?: TrustProxy;
  /** Bearer token for GET /status (STATUS_TOKEN). */
  readonly statusToken?: string;
  /** How long a request's body may take to arrive, except an upload's (REQUEST_BODY_TIMEOUT_SECONDS). */
  readonly requestBodyTimeoutMs?: number;
  /**
   * How old a page's cached projection read may be in a process whose aggregators run
   * elsewhere (web processes); in a process that runs them, a commit refreshes the home page's
   * at once. A watch page's up next is reused this long in every process (nothing refreshes it).
   */
  readonly pageCacheMs?: number;
  /** bcrypt's cost (BCRYPT_COST); tests use the minimum, 4. */
  readonly bcryptCost?: number;
  /** Each limit not given keeps its default. */
  readonly rateLimits?: Partial<RateLimitSettings>;
  /** Searches per client address per process; SEARCH_LIMIT (src/app/search) when not given. */
  readonly searchLimit?: Limit;
  /** How long each of a search's statements may take in the database before it is cut off (2 s when not given). */
  readonly searchTimeoutMs?: number;
  /** One viewing per visitor and video counts per this window (VIEWING_COUNT_WINDOW_MINUTES); the aggregators' default when not given. */
  readonly viewingCountWindowMs?: number;
  readonly loginThrottle?: LoginThrottleSettings;
  /** Where emails go: an SMTP server, or .eml files in a folder. */
  readonly mail?: MailSettings;
  /** The waits between tries of an email that failed for a reason that may pass; tests shorten them. */
  readonly mailRetryDelays?: RetryDelays;
  /** Where the site is reached, for links in emails. */
  readonly siteUrl?: string;
  readonly videos?: VideoSettings;
  /** The key that signs the audit chain's heads; the development key when not given. */
  readonly auditKey?: string;
  readonly subscriptions?: SubscriptionSettings;
  /**
   * Which subscribers start() runs: all of them (one process does everything), none (a web
   * process), or those named (a worker), as a member of a consumer group when one is given.
   */
  readonly run?: { readonly subscribers: 'all' | 'none' | readonly string[]; readonly consumerGroup?: ConsumerGroup };
  /** Start-up's demo seeding, when demo content is on: the home page says the samples are coming. */
  readonly demoSeeding?: SeedingProgress | undefined;
  /** Most connections each of the two main pools opens (DEFAULT_POOL_MAX unless given; the search's, at most SEARCH_POOL_MAX). Every connection costs the server a backend. */
  readonly poolMax?: number;
}

export interface System {
  readonly app: Express;
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly messageStorePool: pg.Pool;
  readonly videoStore: VideoStore;
  readonly subscriptions: readonly Subscription[];
  /** The status of each subscriber this process runs. */
  status(): SubscriberStatus[];
  start(): void;
  stop(): Promise<void>;
}

/** The composition root: every part is built here from explicit dependencies. */
/** The projections whose subscribers come before the components' in every list of subscribers. */
const PROJECTIONS_BEFORE_COMPONENTS: readonly ProjectionName[] = ['home-page', 'user-credentials'];

export function createSystem(config: SystemConfig): System {
  const { logger, urls } = config;
  const db = createAppDatabase(urls.databaseUrl, {
    logger,
    ...(config.poolMax !== undefined && { poolMax: config.poolMax }),
  });
  // The search's own, so each of its statements has the search's timeout without a transaction to set it in.
  const searchTimeoutMs = config.searchTimeoutMs ?? SEARCH_TIMEOUT_MS;
  const searchDb = createAppDatabase(urls.databaseUrl, {
    logger,
    poolMax: Math.min(SEARCH_POOL_MAX, config.poolMax ?? SEARCH_POOL_MAX),
    statementTimeoutMs: searchTimeoutMs,
    queryTimeoutMs: searchTimeoutMs + 5_000,
  });
  const messageStorePool = createMessageStorePool(urls.messageStoreUrl, {
    logger,
    ...(config.poolMax !== undefined && { max: config.poolMax }),
  });
  const messageStore = createMessageStore({
    pool: messageStorePool,
    url: urls.messageStoreUrl,
    logger,
    versions: messageVersions,
  });

  const subscriptionSettings = config.subscriptions ?? {};
  const run = config.run ?? { subscribers: 'all' };
  const consumerGroup = run.consumerGroup;
  // How long a page's read may be reused: the home page's and each video's up next.
  const pageCacheMs = config.pageCacheMs ?? DEFAULTS.pageCacheMs;
  const home = createHomeApp({
    db,
    cacheMs: pageCacheMs,
    demoPreparing: config.demoSeeding && demoPreparing(config.demoSeeding, messageStore),
    // Built below, with the other apps; asked only while a page is served.
    continueWatching: (userId) => playback.continueWatching(userId),
  });
  const viewingCountWindowMs = config.viewingCountWindowMs;
  // Every subscriber reads through one sharing of reads: the subscribers of a category (and the
  // readers of every category) in step read each batch once between them.
  const subscriberStore = withSharedReads(messageStore);
  // After a write, the projections a visitor reads next go first; the operator's and the
  // audit chain's wait for them (src/subscription/turns.ts).
  const turns = createSubscriberTurns();
  const subscriberDeps = {
    messageStore: subscriberStore,
    logger,
    subscription: subscriptionSettings,
    ...(consumerGroup && { consumerGroup }),
  };
  // Per-user keys for personal fields (src/personal-data): app database, own schema, no projection.
  const personalData = createPersonalData(db);
  // Every projection from its one definition; the home page's cached reads refresh on a commit.
  // A new display name shows on the catalog's cards as soon as its projection has it.
  const refreshes: Partial<Record<ProjectionName, () => void>> = {
    'home-page': home.projectionMoved,
    videos: home.catalogMoved,
    'user-profiles': home.catalogMoved,
    'popular-videos': home.rankingMoved,
  };
  const projections = PROJECTIONS.map((definition: ProjectionDefinition<ProjectionName>) => ({
    name: definition.name,
    subscriptions: liveSubscriptions(definition, {
      db,
      ...subscriberDeps,
      viewingCountWindowMs,
      onApplied: refreshes[definition.name],
      turns,
    }),
  }));
  // Listed (status, the subscribers page) and started in the order they had before the definitions:
  // these two projections before the components, the others after them.
  const listedFirst = (name: ProjectionName) => PROJECTIONS_BEFORE_COMPONENTS.includes(name);
  const projectionsBefore = projections
    .filter(({ name }) => listedFirst(name))
    .flatMap(({ subscriptions }) => subscriptions);
  const projectionsAfter = projections
    .filter(({ name }) => !listedFirst(name))
    .flatMap(({ subscriptions }) => subscriptions);
  const cookieKeys = typeof config.cookieSecret === 'string' ? [config.cookieSecret] : config.cookieSecret;
  // Account links are signed with the newest cookie key: rotating it voids the links in flight.
  const accountLinks = createAccountLinks(cookieKeys[0]!);
  const identity = createIdentityComponent({
    ...subscriberDeps,
    personalData,
    accountLinks,
    siteUrl: config.siteUrl ?? defaultSiteUrl(DEFAULTS.port),
  });
  const mail = config.mail ?? DEFAULTS.mail;
  const mailTransport = createMailTransport({ smtpUrl: mail.smtpUrl, mailDir: mail.dir, logger });
  const sendEmail = createSendEmailComponent({
    ...subscriberDeps,
    personalData,
    accountLinks,
    from: mail.from,
    transport: mailTransport,
    retryWindowMs: (mail.retryWindowSeconds ?? DEFAULTS.mail.retryWindowSeconds) * 1000,
    ...(config.mailRetryDelays && { retryDelays: config.mailRetryDelays }),
  });
  const videoSettings = config.videos ?? DEFAULTS.videos;
  const videoStore = createLocalVideoStore({ dir: videoSettings.dir });
  const delivery = videoSettings.delivery ?? DEFAULTS.videos.delivery;
  const accelRedirect = delivery.mode === 'x-accel-redirect' ? { prefix: delivery.accelPrefix } : undefined;
  const transcode = videoSettings.transcode ?? {};
  // The portal refuses an upload past it, the component any that slips by: the same numbers.
  const creatorQuota = {
    running: transcode.runningPerCreator ?? DEFAULT_CREATOR_QUOTA.running,
    queued: transcode.queuedPerCreator ?? DEFAULT_CREATOR_QUOTA.queued,
  };
  const videoPublishing = createVideoPublishingComponent({
    ...subscriberDeps,
    videoStore,
    ...resolveMediaTools({ ffmpegPath: videoSettings.ffmpegPath, ffprobePath: videoSettings.ffprobePath }),
    transcodeConcurrency: videoSettings.transcodeConcurrency,
    creatorQuota,
    resourceWaitMs: transcode.resourceWaitMs,
    limits: {
      maxDecodedPixels: transcode.maxDecodedPixels,
      timePerVideoSecond: transcode.timePerVideoSecond,
      memoryBytes: transcode.memoryBytes,
    },
  });
  // Reads every category: no consumer group (one process runs it, others stand by), and its own
  // batch size, never grown (1,000 is about four times faster than 100 for hashing).
  const auditChain = createAuditChainAggregator({
    db,
    messageStore: subscriberStore,
    messageStorePool,
    logger,
    auditKey: config.auditKey ?? DEVELOPMENT_AUDIT_KEY,
    turns,
    subscription: {
      ...(subscriptionSettings.pollIntervalMs !== undefined && { pollIntervalMs: subscriptionSettings.pollIntervalMs }),
      ...(subscriptionSettings.retry !== undefined && { retry: subscriptionSettings.retry }),
    },
  });
  const subscriptions: Subscription[] = [
    ...projectionsBefore,
    ...identity.subscriptions,
    sendEmail.subscription,
    sendEmail.retries.subscription,
    ...videoPublishing.subscriptions,
    ...projectionsAfter,
    auditChain.subscription,
  ];
  const running = selectSubscriptions(subscriptions, run.subscribers);

  const credentials = createCredentialsQueries(db);
  const passwords = createPasswordHasher(config.bcryptCost ?? DEFAULTS.bcryptCost);
  const rateLimits = createRateLimits(db, { ...DEFAULTS.rateLimits, ...config.rateLimits });
  const visitorKeyOf = createVisitorKeys(cookieKeys[0]!);
  const recordViewings = createRecordViewingsApp({ db, messageStore, rateLimits, visitorKeyOf });
  const sessions = createSessions(db);
  // One throttle and one device cookie for log-in and the account's deletion: a wrong password counts the same at either.
  const throttle = createLoginThrottle(db, config.loginThrottle ?? DEFAULTS.loginThrottle);
  const devices = createDeviceCookies({ secrets: cookieKeys, secure: config.production });
  const authenticate = createAuthenticateApp({ messageStore, credentials, passwords, sessions, throttle, devices });
  const account = createAccountApp({
    messageStore,
    messageStorePool,
    downloadWait: rateLimits.ownDataDownloadWait,
    logger,
    personalData,
    queries: createAccountQueries(db),
    sessions,
    passwords,
    throttle,
    devices,
  });
  const profileQueries = createProfileQueries(db);
  const profiles = createProfilesApp({ messageStore, personalData, queries: profileQueries, newId: randomUUID });
  const registerUsers = createRegisterUsersApp({
    messageStore,
    emailRegistered: credentials.emailRegistered,
    handleTaken: (handle) => profileQueries.handleTaken(handle),
    canLogIn: credentials.exists,
    passwords,
    rateLimits,
    personalData,
  });
  const passwordReset = createPasswordResetApp({
    messageStore,
    credentials,
    passwords,
    rateLimits,
    personalData,
    accountLinks,
  });
  const changePassword = createChangePasswordApp({
    messageStore,
    credentials,
    passwords,
    rateLimits,
    personalData,
    sessions,
  });
  const creatorsPortal = createCreatorsPortalApp({
    db,
    messageStore,
    videoStore,
    accelRedirect,
    maxUploadBytes: videoSettings.maxUploadBytes,
    minimumUploadRate: {
      bytesPerSecond: videoSettings.minUploadBytesPerSecond,
      windowMs: videoSettings.uploadRateWindowMs,
    },
    maxVideosInHand: creatorQuota.running + creatorQuota.queued,
    editWait: rateLimits.videoEditWait,
  });
  const playback = createPlaybackApp({ db, messageStore, personalData, reportWait: rateLimits.playbackReportWait });
  const videos = createVideosApp({
    db,
    videoStore,
    accelRedirect,
    rolesOf: credentials.rolesOf,
    cacheMs: pageCacheMs,
    resumeAt: playback.resumeAt,
  });
  const accountEmail = createAccountEmailApp({
    db,
    messageStore,
    accountLinks,
    passwords,
    personalData,
    emailRegistered: credentials.emailRegistered,
  });
  const componentProcessors = subscriptions.flatMap((subscription) =>
    isComponentProcessor(subscription.processor) ? [[subscription.subscriberId, subscription.processor] as const] : [],
  );
  const admin = createAdminApp({
    db,
    messageStore,
    messageStorePool,
    logger,
    subscriberStatus: () => status(),
    subscriptions,
    dashboardCacheMs: pageCacheMs,
    replayParked: replayThroughProcessors(componentProcessors, {
      retry: subscriptionSettings.retry ?? DEFAULT_RETRY,
      logger,
    }),
    rolesOf: credentials.rolesOf,
    sections: adminSections,
    viewingCountWindowMs,
  });
  const probes = [
    createHealthRouter({
      appDatabase: () => db.raw('SELECT 1'),
      pendingMigrations: () => countPendingMigrations(db),
      messageStore: () => messageStore.version(),
    }),
    createStatusRouter({
      subscribers: () => status(),
      token: config.statusToken,
      production: config.production,
    }),
  ];

  const search = createSearchApp({
    db: searchDb,
    cacheMs: pageCacheMs,
    ...(config.searchLimit && { limit: config.searchLimit }),
  });

  const app = createExpressApp({
    logger,
    cookieSecret: config.cookieSecret,
    production: config.production,
    viewCache: config.viewCache,
    trustProxy: config.trustProxy,
    requestBodyTimeoutMs: config.requestBodyTimeoutMs ?? DEFAULTS.requestBodyTimeoutMs,
    viewDirs: [
      home.viewsDir,
      search.viewsDir,
      authenticate.viewsDir,
      account.viewsDir,
      registerUsers.viewsDir,
      profiles.viewsDir,
      PASSWORDS_VIEWS_DIR,
      creatorsPortal.viewsDir,
      videos.viewsDir,
      accountEmail.viewsDir,
      playback.viewsDir,
      ...admin.viewsDirs,
    ],
    routes: [
      { path: '/', router: home.router },
      { path: '/search', router: search.router },
      { path: '/record-viewing', router: recordViewings.router },
      { path: '/playback', router: playback.reports },
      { path: '/auth', router: authenticate.router },
      { path: '/account', router: account.router },
      { path: '/auth', router: passwordReset.router },
      { path: '/account', router: changePassword.router },
      { path: '/register', router: registerUsers.router },
      { path: '/account/profile', router: profiles.accountRouter },
      { path: '/', router: profiles.publicRouter },
      { path: '/admin', router: admin.router },
      { path: '/creators-portal', router: creatorsPortal.router },
      { path: '/videos', router: videos.router },
      // Email verification (works logged out) and email change; the account page itself is mounted on /account too.
      { path: '/account', router: accountEmail.router },
      { path: '/account', router: playback.account },
    ],
    probes,
    // A session ends at log-out, and when its user is erased (their credentials row goes).
    sessionUser: sessions.userOf,
  });

  const status = () => running.map((subscription) => subscription.status());
  let stopped = false;
  return {
    status,
    app,
    db,
    messageStore,
    messageStorePool,
    videoStore,
    subscriptions,
    start() {
      for (const subscription of running) subscription.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      mailTransport.close();
      await messageStore.close();
      await Promise.all([messageStorePool.end(), db.destroy(), searchDb.destroy()]);
    },
  };
}

/**
 * Migrations in migrations/index.ts that the app database has not run. Read-only, unlike knex's
 * migrate.list(), which creates its tables when they are missing: a probe must not write.
 */
async function countPendingMigrations(db: Knex): Promise<number> {
  const known = (await migrationSource.getMigrations([])).map((migration) =>
    migrationSource.getMigrationName(migration),
  );
  const ran = (await db.schema.hasTable('knex_migrations'))
    ? new Set(await db('knex_migrations').pluck('name'))
    : new Set();
  return known.filter((name) => !ran.has(name)).length;
}

/** The subscriptions a process runs; a name is a subscriber id (`aggregators:home-page`), or that id without its kind (`home-page`, `identity`, `identity:commands`). */
function selectSubscriptions(all: readonly Subscription[], names: 'all' | 'none' | readonly string[]): Subscription[] {
  if (names === 'all') return [...all];
  if (names === 'none') return [];
  const unknown = names.filter((name) => !all.some((subscription) => matches(subscription.subscriberId, name)));
  if (unknown.length > 0) {
    throw new Error(
      `No subscriber named ${unknown.join(', ')}; there are: ${all.map((subscription) => subscription.subscriberId).join(', ')}`,
    );
  }
  return all.filter((subscription) => names.some((name) => matches(subscription.subscriberId, name)));
}

function isComponentProcessor(processor: Processor): processor is ComponentProcessor {
  return processor.kind === 'component' && 'replay' in processor;
}

function matches(subscriberId: string, name: string): boolean {
  // Past its kind (`components:`, `aggregators:`), an id names a part and then its subscribers:
  // `identity` picks all of the identity component's, `identity:commands` one of them.
  const part = subscriberId.slice(subscriberId.indexOf(':') + 1);
  return subscriberId === name || part === name || part.startsWith(`${name}:`);
}
