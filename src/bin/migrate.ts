import { parseEnv } from '../config/env.ts';
import { prepareDatabases } from '../db/prepare-databases.ts';
import { chooseLogFormat, createLogger } from '../logger.ts';
import { EXIT, exitOnInterrupt, runCliTool, withDatabases } from './cli.ts';

// The same preparation the app does on start, without starting it: create the databases if
// missing, install Message DB if absent, run the projection migrations. On the embedded server
// it joins the one a running app uses and leaves it running.
exitOnInterrupt();
await runCliTool({
  // As in `Migration failed: …`.
  name: 'Migration',
  parse: (_args, environment) => parseEnv(environment),
  async run(env) {
    // Its progress is its answer: logged on stdout at LOG_LEVEL, as the app's start-up is.
    const logger = createLogger(
      env.logLevel,
      chooseLogFormat({ isTTY: process.stdout.isTTY === true, nodeEnv: env.nodeEnv, logFormat: env.logFormat }),
    );
    await withDatabases(env, logger, async (urls) => {
      await prepareDatabases(urls, logger);
      logger.info('databases are ready');
    });
    return EXIT.ok;
  },
});
