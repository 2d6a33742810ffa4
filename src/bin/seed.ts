import { parseEnv, type DatabaseUrls, type Env } from '../config/env.ts';
import { prepareDatabases } from '../db/prepare-databases.ts';
import { demoLogIn, SAMPLE_VIDEOS, seedDemo } from '../demo/index.ts';
import type { Logger } from '../logger.ts';
import { ffmpegPath } from '../media-tools.ts';
import { messageVersions } from '../contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../message-store/index.ts';
import { createLocalVideoStore } from '../video-store/index.ts';
import { cliLogger, EXIT, exitOnInterrupt, runCliTool, withDatabases } from './cli.ts';
import { createAccountLinks } from '../account-links/index.ts';

/*
 * npm run seed      register the demo creator and send the three sample videos for publishing
 *
 * It writes the commands a creator's upload would and exits; it does not wait for them. The
 * app's identity and video-publishing components handle them: at once if the app is running,
 * else when it next starts. (Running the components here would mean transcoding in a CLI that
 * is meant to end in a second or two, and a Ctrl-C mid-transcode only to redo it in the app.)
 * Run again, it writes nothing new: every id is fixed. Unlike start-up, it adds the samples to
 * a store that already has other creators' videos.
 */

async function run(urls: DatabaseUrls, env: Env, logger: Logger): Promise<void> {
  await prepareDatabases(urls, logger);
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 2 });
  const messageStore = createMessageStore({ pool, url: urls.messageStoreUrl, logger, versions: messageVersions });
  try {
    const { written } = await seedDemo({
      messageStore,
      videoStore: createLocalVideoStore({ dir: env.videos.dir }),
      ffmpegPath,
      logger,
      bcryptCost: env.bcryptCost,
      // Only the app's own key makes a link it accepts; without COOKIE_SECRET the demo creator confirms from its welcome email.
      ...(env.cookieSecrets?.[0] !== undefined && { accountLinks: createAccountLinks(env.cookieSecrets[0]) }),
      onlyIntoEmptyStore: false,
    });
    const sent = written.filter((message) => message.type === 'PublishVideo').length;
    const lines =
      sent > 0
        ? [
            `Sent ${sent} sample video${sent === 1 ? '' : 's'} for publishing: ${SAMPLE_VIDEOS.map((sample) => `"${sample.name}"`).join(', ')}.`,
            'The app transcodes and publishes them: within seconds if it is running, else once you run npm start.',
          ]
        : [`The ${SAMPLE_VIDEOS.length} sample videos were sent before; nothing new was written.`];
    process.stdout.write(`${[...lines, demoLogIn()].join('\n')}\n`);
  } finally {
    await messageStore.close();
    await pool.end();
  }
}

// Every id is fixed, so a run cut short is simply run again.
exitOnInterrupt();
await runCliTool({
  name: 'seed',
  // Takes no arguments, and has always ignored any given.
  parse: (_args, environment) => parseEnv(environment),
  async run(env) {
    const logger = cliLogger(env);
    await withDatabases(env, logger, (urls) => run(urls, env, logger));
    return EXIT.ok;
  },
});
