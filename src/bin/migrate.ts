import { config as loadDotenv } from 'dotenv';
import { ConfigError, parseEnv } from '../config/env.ts';
import { prepareDatabases, resolveDatabases } from '../db/prepare-databases.ts';
import { createLogger } from '../logger.ts';

// The same preparation the app does on start, without starting it: create the databases if
// missing, install Message DB if absent, run the projection migrations.
loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
try {
  const env = parseEnv(process.env);
  const logger = createLogger(env.logLevel);
  const { urls, embedded } = await resolveDatabases(env, logger);
  try {
    await prepareDatabases(urls, logger);
    logger.info('databases are ready');
  } finally {
    await embedded?.stop();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? 'Configuration error' : 'Migration failed'}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
