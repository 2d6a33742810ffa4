import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { DEFAULTS, type VideoSettings } from '../../src/config/defaults.ts';
import { createSystem, type System, type SystemConfig } from '../../src/system.ts';
import { freshDatabases, silentLogger } from './databases.ts';

/** The cookie key every test system signs with (and so its account links). */
export const TEST_COOKIE_SECRET = 'test-secret-that-is-long-enough-for-anything';

export const FAST_RETRY = { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 } as const;
// Tests post from one address many times; the tests of the limits set their own.
const ROOMY = { points: 1_000, windowSeconds: 60 };

/**
 * The real system on fresh databases, with a silent logger, quick retries (of handlers and of
 * deferred emails), the cheapest bcrypt
 * cost, roomy rate limits, emails written as files in a temporary MAIL_DIR and videos kept in a
 * temporary VIDEO_DIR (both removed by stop()). `videos` overrides single video settings; the folder stays the temporary one.
 * Given `urls`, it uses those databases (prepared by the caller) instead.
 */
type TestOverrides = Partial<Omit<SystemConfig, 'videos'>> & { readonly videos?: Partial<VideoSettings> };

export async function createTestSystem({ videos, ...overrides }: TestOverrides = {}): Promise<
  System & { urls: DatabaseUrls; mailDir: string; videoDir: string }
> {
  const urls = overrides.urls ?? (await freshDatabases());
  const mailDir = await mkdtemp(path.join(os.tmpdir(), 'vt-test-mail-'));
  const videoDir = await mkdtemp(path.join(os.tmpdir(), 'vt-test-videos-'));
  const system = createSystem({
    urls,
    logger: silentLogger,
    cookieSecret: TEST_COOKIE_SECRET,
    production: false,
    // Each template compiled once per run, not at every render of every test's system.
    viewCache: true,
    bcryptCost: 4,
    rateLimits: {
      registrationsPerAddress: ROOMY,
      videoEditsPerCreator: ROOMY,
      viewingsPerAddress: ROOMY,
      passwordResetsPerAddress: ROOMY,
      passwordResetsPerEmail: ROOMY,
      passwordChecksPerUser: ROOMY,
    },
    loginThrottle: {
      failuresPerDevice: ROOMY,
      failuresPerAddress: ROOMY,
      untrustedPerAccount: { tries: 1_000, refillSeconds: 1 },
    },
    mail: { smtpUrl: undefined, dir: mailDir, from: 'Video Tutorials <test@video-tutorials.test>' },
    // An email deferred by a test's fault is tried again within a fraction of a second.
    mailRetryDelays: { firstDelayMs: 20, maxDelayMs: 100 },
    videos: {
      dir: videoDir,
      maxUploadBytes: 5 * 1024 * 1024,
      minUploadBytesPerSecond: 4 * 1024,
      uploadRateWindowMs: 30_000,
      transcodeConcurrency: 1,
      ...videos,
    },
    // Production's poll interval: writes wake subscribers (LISTEN/NOTIFY), so polling only backs
    // that up. At 100 ms an idle system made ~200 queries a second, a seventh of a core of this
    // process and more of PostgreSQL's, in every test that had one running.
    subscriptions: { pollIntervalMs: DEFAULTS.subscriberPollIntervalMs, batchSize: 100, retry: FAST_RETRY },
    // Each connection is a server backend to start, fill with catalog entries and end: with the
    // production pools of 10, a test system's life cost PostgreSQL twice the CPU it does with 3
    // (1.3 s against 0.6 s here), and a test run starts hundreds of them.
    poolMax: 3,
    ...overrides,
  });
  const stop = system.stop.bind(system);
  return Object.assign(system, {
    urls,
    mailDir,
    videoDir,
    async stop() {
      try {
        await stop();
      } finally {
        await Promise.all([
          rm(mailDir, { recursive: true, force: true }),
          rm(videoDir, { recursive: true, force: true }),
        ]);
      }
    },
  });
}
