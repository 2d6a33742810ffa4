import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { DEFAULTS, defaultSiteUrl } from '../../src/config/defaults.ts';
import { parseEnv } from '../../src/config/env.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('defaults: an empty environment parses to src/config/defaults.ts, field for field', (t) => {
  const env = parseEnv({});
  const { ffmpegPath, ffprobePath, transcode, ...videos } = env.videos;
  t.deepEqual(
    {
      nodeEnv: env.nodeEnv,
      port: env.port,
      logLevel: env.logLevel,
      embeddedPostgres: env.embeddedPostgres,
      subscriberPollIntervalMs: env.subscriberPollIntervalMs,
      subscriberBatchSize: env.subscriberBatchSize,
      subscriberMaxBatchSize: env.subscriberMaxBatchSize,
      pageCacheMs: env.pageCacheMs,
      requestBodyTimeoutMs: env.requestBodyTimeoutMs,
      bcryptCost: env.bcryptCost,
      mail: env.mail,
      loginThrottle: env.loginThrottle,
      rateLimits: env.rateLimits,
      viewingCountWindowMs: env.viewingCountWindowMs,
      videos,
    },
    DEFAULTS,
    'every default the environment takes is the one in DEFAULTS',
  );
  t.equal(env.siteUrl, defaultSiteUrl(DEFAULTS.port), 'and the site URL is the default one on the default port');
  t.deepEqual(
    [ffmpegPath, ffprobePath, Object.values(transcode ?? {}).filter((value) => value !== undefined)],
    [undefined, undefined, []],
    'the media settings left to their components stay unset',
  );
  t.end();
});

/** Where a setting's default used to be stated a second time (env.ts's schema, createSystem's fallbacks, the engine's). */
const FILES_THAT_READ_DEFAULTS = ['src/config/env.ts', 'src/system.ts', 'src/subscription/subscription.ts'];

/** A default stated by value rather than read from DEFAULTS: a literal in `.default(…)`, or after a setting's `??`, or a DEFAULT_ constant. */
function restatedDefaults(text: string): string[] {
  const found = [
    ...text.matchAll(/\.default\(\s*(?!DEFAULTS\.)[^)]*\)/g),
    ...text.matchAll(
      /\b(?:config|options|settings|subscriptionSettings|mail)\??\.\w+\s*\?\?\s*(?:-?\d[\d_]*(?:\.\d+)?|'[^']*'|"[^"]*"|`[^`]*`)/g,
    ),
    ...text.matchAll(/\bconst DEFAULT_\w+/g),
  ];
  return found.map((match) => match[0]);
}

test('defaults: each is stated once, in src/config/defaults.ts', async (t) => {
  for (const file of FILES_THAT_READ_DEFAULTS) {
    const text = await readFile(path.join(root, file), 'utf8');
    t.deepEqual(restatedDefaults(text), [], `${file} states no default of its own`);
  }
  t.deepEqual(
    restatedDefaults(
      "PORT: port.default(3000), A: x.default(DEFAULTS.port), config.pageCacheMs ?? 250, options.from ?? 'x', d ?? 0, config.port ?? DEFAULTS.port\nconst DEFAULT_MAIL = {}",
    ),
    ['.default(3000)', 'config.pageCacheMs ?? 250', "options.from ?? 'x'", 'const DEFAULT_MAIL'],
    'and the check finds one that is',
  );
});
