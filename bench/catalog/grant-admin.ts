import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DatabaseUrls } from '../../src/config/env.ts';

/**
 * Gives `email` the admin role the way an operator does (`npm run admin -- grant`), with the
 * app running: its identity component decides, so the role comes by the same rules and events as
 * on a real site.
 */
export async function grantAdmin(urls: DatabaseUrls, email: string): Promise<void> {
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/bin/admin.ts', 'grant', email], {
    env: {
      ...process.env,
      ENV_FILE: '/dev/null',
      DATABASE_URL: urls.databaseUrl,
      MESSAGE_STORE_URL: urls.messageStoreUrl,
      LOG_LEVEL: 'silent',
    },
  });
}
