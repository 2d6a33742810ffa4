import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, parseEnv } from './config/env.ts';
import { parseProcessRole } from './config/process-role.ts';
import { startupWarnings } from './config/startup-warnings.ts';
import type { EmbeddedPostgres } from './db/embedded-postgres.ts';
import { buildTraceIndexInBackground, type TraceIndexBuild } from './db/install-trace-index.ts';
import { prepareDatabases, resolveDatabases } from './db/prepare-databases.ts';
import { chooseLogFormat, createLogger, type Logger } from './logger.ts';
import { whenParentExits } from './parent-watch.ts';
import { createSystem, type System } from './system.ts';
import { seedDemo } from './demo/index.ts';
import { createSeedingProgress } from './demo/progress.ts';
import { ffmpegPath } from './media-tools.ts';
import { createAccountLinks } from './account-links/index.ts';

const SHUTDOWN_GRACE_MS = 10_000;
// One Ctrl-C can arrive twice: from the terminal, and passed on by `tsx watch` (npm run dev) or
// npm, which got it too. A second signal this soon is that echo, not an impatient user.
const SAME_KEYPRESS_MS = 1_000;
// Requests in flight get this long to finish before their connections are cut.
const DRAIN_MS = 3_000;

/**
 * Stops taking requests and waits for those in flight. A keep-alive connection that a busy
 * client keeps reusing is never idle for long, so idle ones are closed as they appear, and any
 * still open after DRAIN_MS are cut: otherwise a loaded server never finishes closing.
 */
async function stopServing(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), 20);
  const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
  server.closeIdleConnections();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

// Node ends any request still running after requestTimeout (5 minutes by default): a 500 MB
// upload over a slow line takes longer. This is only the ceiling, for the upload route: every
// other route's body must arrive within REQUEST_BODY_TIMEOUT_SECONDS (web/body-deadline.ts), and
// an upload slower than UPLOAD_MIN_BYTES_PER_SECOND is cut off. A connection that goes silent is
// dropped by the socket's own idle timeout.
const UPLOAD_FRIENDLY_REQUEST_TIMEOUT_MS = 2 * 60 * 60 * 1000;
const IDLE_SOCKET_TIMEOUT_MS = 2 * 60 * 1000;

function listen(system: System, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = system.app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    server.requestTimeout = UPLOAD_FRIENDLY_REQUEST_TIMEOUT_MS;
    server.setTimeout(IDLE_SOCKET_TIMEOUT_MS);
  });
}

async function main(): Promise<void> {
  // ENV_FILE lets tests (and odd deployments) point at another file, or /dev/null for none.
  loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
  let env;
  let role;
  try {
    env = parseEnv(process.env);
    role = parseProcessRole(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger: Logger = createLogger(
    env.logLevel,
    chooseLogFormat({ isTTY: process.stdout.isTTY === true, nodeEnv: env.nodeEnv, logFormat: env.logFormat }),
  );
  for (const warning of startupWarnings(env)) logger.warn(warning);

  let embedded: EmbeddedPostgres | undefined;
  let system: System | undefined;
  let server: Server | undefined;
  let shuttingDown: Promise<void> | undefined;
  let seeding: Promise<unknown> | undefined;
  let traceIndex: TraceIndexBuild | undefined;

  // Stop in the reverse order of start: no new requests, subscribers checkpoint, pools close,
  // and only then the embedded database is released (stopped, unless another process uses it).
  const shutdown = (reason: string, code: number): Promise<void> => {
    shuttingDown ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        process.exit(1);
      }, SHUTDOWN_GRACE_MS);
      force.unref();
      try {
        if (server) await stopServing(server);
        // The demo's commands are written in a few seconds; let them finish rather than leave half.
        await seeding;
        await traceIndex?.stop();
        await system?.stop();
      } catch (error) {
        logger.error({ err: error }, 'error while shutting down');
      } finally {
        await embedded
          ?.release()
          .catch((error: unknown) => logger.error({ err: error }, 'could not release the embedded PostgreSQL'));
        process.exit(code);
      }
    })();
    return shuttingDown;
  };
  // SIGHUP too: a closed terminal must not leave the embedded PostgreSQL running.
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (!shuttingDown) {
        firstSignalAt = Date.now();
        void shutdown(signal, 0);
      } else if (Date.now() - firstSignalAt >= SAME_KEYPRESS_MS) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
    });
  }
  // Started by npm (or another runner that may die without passing signals on)? Go with it.
  if (process.env.npm_lifecycle_event !== undefined)
    whenParentExits(() => void shutdown('the process that started the app exited', 0));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });

  try {
    const resolved = await resolveDatabases(env, logger);
    embedded = resolved.embedded;
    await prepareDatabases(resolved.urls, logger);

    let cookieSecret = env.cookieSecrets;
    if (cookieSecret === undefined) {
      cookieSecret = [randomBytes(32).toString('base64url')];
      logger.warn('COOKIE_SECRET is not set: using a random one, so sessions end when the process restarts');
    }
    // Only a process that serves pages seeds, and its home page follows the run.
    const demoSeeding = env.seedDemo && role.http ? createSeedingProgress() : undefined;
    system = createSystem({
      demoSeeding,
      urls: resolved.urls,
      logger,
      cookieSecret,
      production: env.nodeEnv === 'production',
      trustProxy: env.trustProxy,
      statusToken: env.statusToken,
      requestBodyTimeoutMs: env.requestBodyTimeoutMs,
      subscriptions: {
        pollIntervalMs: env.subscriberPollIntervalMs,
        batchSize: env.subscriberBatchSize,
        maxBatchSize: env.subscriberMaxBatchSize,
      },
      run: role.run,
      pageCacheMs: env.pageCacheMs,
      bcryptCost: env.bcryptCost,
      rateLimits: env.rateLimits,
      loginThrottle: env.loginThrottle,
      viewingCountWindowMs: env.viewingCountWindowMs,
      mail: env.mail,
      siteUrl: env.siteUrl,
      videos: env.videos,
      auditKey: env.auditKeys.signing,
    });
    system.start();
    traceIndex = buildTraceIndexInBackground(resolved.urls.messageStoreUrl, logger);
    if (!role.http) {
      logger.info(
        {
          role: role.name,
          pid: process.pid,
          subscribers: system.status().map((status) => status.subscriberId),
          ...role.run.consumerGroup,
        },
        'working',
      );
      return;
    }
    server = await listen(system, env.port, env.host);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.port;
    logger.info(
      {
        role: role.name,
        port,
        url: `http://localhost:${port}`,
        pid: process.pid,
        embeddedPostgres: embedded !== undefined,
      },
      'listening',
    );
    if (demoSeeding) {
      const { messageStore, videoStore } = system;
      seeding = demoSeeding
        .track(
          seedDemo({
            messageStore,
            videoStore,
            ffmpegPath,
            logger,
            bcryptCost: env.bcryptCost,
            accountLinks: createAccountLinks(cookieSecret[0]!),
          }),
        )
        .catch((error: unknown) => logger.warn({ err: error }, 'demo content not seeded; the site works without it'));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      // Most likely the app is already running here: say so in one line, and leave its database alone.
      logger.fatal(
        { port: env.port, host: env.host },
        `port ${env.port} is in use, perhaps by this app already running: stop that, or set PORT to run another copy`,
      );
    } else {
      logger.fatal({ err: error }, 'could not start');
    }
    await shutdown('start-up failed', 1);
  }
}

await main();
