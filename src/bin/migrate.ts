import { config as loadDotenv } from 'dotenv';
import { ConfigError, parseEnv } from '../config/env.ts';
import { prepareDatabases } from '../db/prepare-databases.ts';
import { chooseLogFormat, createLogger } from '../logger.ts';
import { exitOnInterrupt, withDatabases } from './cli.ts';

// The same preparation the app does on start, without starting it: create the databases if
// missing, install Message DB if absent, run the projection migrations. On the embedded server
// it joins the one a running app uses and leaves it running.
exitOnInterrupt();
loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
try {
  const env = parseEnv(process.env);
  const logger = createLogger(env.logLevel, chooseLogFormat({ isTTY: process.stdout.isTTY === true, nodeEnv: env.nodeEnv, logFormat: env.logFormat }));
  await withDatabases(env, logger, async (urls) => {
    await prepareDatabases(urls, logger);
    logger.info('databases are ready');
  });
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? 'Configuration error' : 'Migration failed'}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
