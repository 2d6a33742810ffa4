import type { DatabaseUrls } from '../../src/config/env.ts';
import { createSystem, type System, type SystemConfig } from '../../src/system.ts';
import { freshDatabases, silentLogger } from './databases.ts';

export const FAST_RETRY = { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 } as const;

/** The real system on fresh databases, with a silent logger and quick retries. */
export async function createTestSystem(overrides: Partial<SystemConfig> = {}): Promise<System & { urls: DatabaseUrls }> {
  const urls = await freshDatabases();
  const system = createSystem({
    urls,
    logger: silentLogger,
    cookieSecret: 'test-secret-that-is-long-enough-for-anything',
    production: false,
    bcryptCost: 4,
    subscriptions: { pollIntervalMs: 100, batchSize: 100, retry: FAST_RETRY },
    ...overrides,
  });
  return Object.assign(system, { urls });
}
