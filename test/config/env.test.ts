import test from 'tape';
import { ConfigError, parseEnv } from '../../src/config/env.ts';
import { bareEnv, runMainToExit } from '../helpers/run-main.ts';

const URLS = {
  DATABASE_URL: 'postgres://u@localhost:5432/app',
  MESSAGE_STORE_URL: 'postgres://u@localhost:5432/messages',
};
const SECRET = 'k3Jd9s0Qm2Lx7Vb4Nc8Rt1Yw6Ze5Ha0PqUi';
const AUDIT = 'q'.repeat(40);

function errorOf(raw: Record<string, string>): string {
  try {
    parseEnv(raw);
    return 'no error';
  } catch (error) {
    return error instanceof ConfigError ? error.message : `unexpected ${String(error)}`;
  }
}

test('config: defaults for a bare environment use the embedded PostgreSQL', (t) => {
  const env = parseEnv({});
  t.equal(env.port, 3000, 'PORT defaults to 3000');
  t.equal(env.nodeEnv, 'development');
  t.equal(env.databases, undefined, 'no URLs: embedded');
  t.equal(env.embeddedPostgres.dir, '.data/postgres');
  t.notEqual(env.embeddedPostgres.port, 5432, 'the embedded port does not clash with a real server');
  t.equal(env.cookieSecrets, undefined);
  t.end();
});

test('config: HOST defaults to loopback outside production and to every interface in production', (t) => {
  t.equal(
    parseEnv({}).host,
    '127.0.0.1',
    'development: only this machine reaches it (a public demo password, an open /status)',
  );
  t.equal(parseEnv({ NODE_ENV: 'test' }).host, '127.0.0.1');
  t.equal(
    parseEnv({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: SECRET, AUDIT_KEY: AUDIT }).host,
    '0.0.0.0',
    "production: a container's published port reaches it",
  );
  t.equal(parseEnv({ HOST: '0.0.0.0' }).host, '0.0.0.0', 'HOST set wins');
  t.equal(parseEnv({ HOST: '' }).host, '127.0.0.1', 'an empty HOST counts as unset');
  t.end();
});

test('config: LOG_FORMAT forces json or pretty, and is left to the terminal when unset', (t) => {
  t.equal(parseEnv({}).logFormat, undefined);
  t.equal(parseEnv({ LOG_FORMAT: 'json' }).logFormat, 'json');
  t.equal(parseEnv({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
  t.match(errorOf({ LOG_FORMAT: 'yaml' }), /^LOG_FORMAT is malformed/);
  t.end();
});

test('config: URLs, the older message store name, and empty values', (t) => {
  t.deepEqual(parseEnv(URLS).databases, { databaseUrl: URLS.DATABASE_URL, messageStoreUrl: URLS.MESSAGE_STORE_URL });
  const older = parseEnv({ DATABASE_URL: URLS.DATABASE_URL, MESSAGE_STORE_CONNECTION_STRING: URLS.MESSAGE_STORE_URL });
  t.equal(
    older.databases?.messageStoreUrl,
    URLS.MESSAGE_STORE_URL,
    'MESSAGE_STORE_CONNECTION_STRING is still accepted',
  );
  t.equal(parseEnv({ PORT: '', DATABASE_URL: '', MESSAGE_STORE_URL: '' }).port, 3000, 'an empty value counts as unset');
  t.end();
});

test('config: each bad value is named in one clear line', (t) => {
  t.match(errorOf({ PORT: 'abc' }), /^PORT is malformed \("abc"\)/);
  t.match(errorOf({ PORT: '70000' }), /^PORT is malformed/);
  t.match(errorOf({ NODE_ENV: 'staging' }), /^NODE_ENV is malformed/);
  t.match(errorOf({ ...URLS, DATABASE_URL: 'mysql://x/y' }), /^DATABASE_URL is malformed.*postgres:\/\//);
  t.match(
    errorOf({ ...URLS, MESSAGE_STORE_URL: 'postgres://host-without-database' }),
    /^MESSAGE_STORE_URL is malformed/,
  );
  t.match(errorOf({ DATABASE_URL: URLS.DATABASE_URL }), /^MESSAGE_STORE_URL is missing/, 'one URL without the other');
  t.match(errorOf({ MESSAGE_STORE_URL: URLS.MESSAGE_STORE_URL }), /^DATABASE_URL is missing/);
  t.match(
    errorOf({ DATABASE_URL: URLS.DATABASE_URL, MESSAGE_STORE_URL: URLS.DATABASE_URL }),
    /must name a different database/,
  );
  t.match(errorOf({ SUBSCRIBER_BATCH_SIZE: '0' }), /^SUBSCRIBER_BATCH_SIZE is malformed/);
  // A few batches of it are kept per kind of shared read, and one is applied in one transaction.
  t.match(errorOf({ SUBSCRIBER_MAX_BATCH_SIZE: '1000000' }), /^SUBSCRIBER_MAX_BATCH_SIZE is malformed/);
  for (const message of [errorOf({ PORT: 'abc' }), errorOf({ DATABASE_URL: URLS.DATABASE_URL })]) {
    t.notOk(message.includes('\n'), 'one line');
  }
  t.end();
});

test("config: SUBSCRIBER_POLL_INTERVAL_MS above Node's timer limit is refused", (t) => {
  t.equal(
    parseEnv({ SUBSCRIBER_POLL_INTERVAL_MS: String(2 ** 31 - 1) }).subscriberPollIntervalMs,
    2 ** 31 - 1,
    'the limit itself is fine',
  );
  const message = errorOf({ SUBSCRIBER_POLL_INTERVAL_MS: String(2 ** 31) });
  t.match(message, /^SUBSCRIBER_POLL_INTERVAL_MS is malformed \("2147483648"\): .*timer/, 'one line that says why');
  t.notOk(message.includes('\n'), 'one line');
  t.end();
});

test('config: a malformed database URL is shown without its password', (t) => {
  const cases = {
    'postgres://u:secret@host': 'postgres://u:***@host',
    'postgres://u:s3cr@t@host:5432': 'postgres://u:***@host:5432',
    'mysql://admin:secret@db.example/app': 'mysql://admin:***@db.example/app',
    'u:secret@host/app': 'u:***@host/app',
    'postgres://host?user=u&password=secret': 'postgres://host?user=u&password=***',
  };
  for (const [given, shown] of Object.entries(cases)) {
    for (const name of ['DATABASE_URL', 'MESSAGE_STORE_URL', 'MESSAGE_STORE_CONNECTION_STRING']) {
      const message = errorOf({ ...URLS, MESSAGE_STORE_URL: '', [name]: given });
      t.notOk(/secret|s3cr/.test(message), `${name}=${given}: the password is not printed`);
      t.ok(message.startsWith(`${name} is malformed (${JSON.stringify(shown)})`), `${name} shows ${shown}`);
    }
  }
  t.end();
});

test("config: TRUST_PROXY takes Express's forms and nothing else", (t) => {
  t.equal(parseEnv({}).trustProxy, undefined, 'unset: no proxy is trusted');
  t.equal(parseEnv({ TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(parseEnv({ TRUST_PROXY: 'false' }).trustProxy, false);
  t.equal(parseEnv({ TRUST_PROXY: '2' }).trustProxy, 2, 'a hop count');
  t.deepEqual(
    parseEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8,192.168.1.1, fd00::/8, 172.16.0.0/255.240.0.0' }).trustProxy,
    ['loopback', '10.0.0.0/8', '192.168.1.1', 'fd00::/8', '172.16.0.0/255.240.0.0'],
    'addresses, subnets and names',
  );
  for (const bad of ['yes', '1.5', '-1', 'loopback,', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/8']) {
    t.match(
      errorOf({ TRUST_PROXY: bad }),
      /^TRUST_PROXY is malformed .*hop count/,
      `${JSON.stringify(bad)} is refused`,
    );
  }
  t.end();
});

test('config: STATUS_TOKEN is read as given', (t) => {
  t.equal(parseEnv({}).statusToken, undefined);
  t.equal(parseEnv({ STATUS_TOKEN: 'operator-token' }).statusToken, 'operator-token');
  t.end();
});

test('config: production refuses to start without a real COOKIE_SECRET', (t) => {
  t.match(errorOf({ ...URLS, NODE_ENV: 'production' }), /^COOKIE_SECRET is missing/);
  t.match(errorOf({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: 'short' }), /^COOKIE_SECRET is malformed/);
  t.match(
    errorOf({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: 'replace-with-a-long-random-string' }),
    /^COOKIE_SECRET is malformed/,
    'the example value is not a secret',
  );
  t.same(parseEnv({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: SECRET, AUDIT_KEY: AUDIT }).cookieSecrets, [
    SECRET,
  ]);
  t.end();
});

test('config: production needs an AUDIT_KEY to sign the audit chain; development uses a fixed one', (t) => {
  t.match(errorOf({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: SECRET }), /^AUDIT_KEY is missing/);
  t.match(
    errorOf({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: SECRET, AUDIT_KEY: 'short' }),
    /^AUDIT_KEY is malformed/,
  );
  const production = parseEnv({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: SECRET, AUDIT_KEY: AUDIT });
  t.same([production.auditKeys.signing, production.auditKeys.development], [AUDIT, false]);
  t.equal(parseEnv({}).auditKeys.development, true, 'development: the fixed development key');
  t.end();
});

test('config: COOKIE_SECRET may list several keys for rotation, each a real secret in production', (t) => {
  const other = 'n'.repeat(40);
  t.same(
    parseEnv({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: `${SECRET}, ${other}`, AUDIT_KEY: AUDIT }).cookieSecrets,
    [SECRET, other],
    'the first signs',
  );
  t.match(
    errorOf({ ...URLS, NODE_ENV: 'production', COOKIE_SECRET: `${SECRET},short` }),
    /^COOKIE_SECRET is malformed/,
  );
  t.match(errorOf({ COOKIE_SECRET: `${SECRET},,${other}` }), /^COOKIE_SECRET is malformed: an empty key/);
  t.end();
});

test('config: users settings have safe defaults and refuse nonsense', (t) => {
  const env = parseEnv({});
  t.equal(env.bcryptCost, 10);
  t.equal(env.siteUrl, 'http://localhost:3000');
  t.same(env.mail, {
    smtpUrl: undefined,
    dir: '.data/mail',
    from: 'Video Tutorials <no-reply@video-tutorials.localhost>',
    retryWindowSeconds: 4 * 60 * 60,
  });
  t.equal(parseEnv({ MAIL_RETRY_WINDOW_SECONDS: '0' }).mail.retryWindowSeconds, 0, 'no retries at all is a choice');
  t.match(
    errorOf({ MAIL_RETRY_WINDOW_SECONDS: '604801' }),
    /^MAIL_RETRY_WINDOW_SECONDS is malformed .*a week/,
    'more than a week is refused',
  );
  t.match(errorOf({ MAIL_RETRY_WINDOW_SECONDS: '-1' }), /^MAIL_RETRY_WINDOW_SECONDS is malformed/);
  t.same(env.loginThrottle, {
    failuresPerDevice: { points: 10, windowSeconds: 900 },
    failuresPerAddress: { points: 20, windowSeconds: 900 },
    untrustedPerAccount: { tries: 5, refillSeconds: 180 },
  });
  t.equal(
    parseEnv({ SITE_URL: 'https://tutorials.example/' }).siteUrl,
    'https://tutorials.example',
    'no trailing slash, for joining paths',
  );
  t.match(errorOf({ BCRYPT_COST: '3' }), /^BCRYPT_COST is malformed/);
  t.match(errorOf({ SMTP_URL: 'http://mail.example' }), /^SMTP_URL is malformed/);
  t.notOk(
    errorOf({ SMTP_URL: 'smtp://user:hunter2@mail.example:x' }).includes('hunter2'),
    'an SMTP password is not echoed',
  );
  t.end();
});

test('config: transcoding settings are left to the component when unset, converted to its units when set, and refuse nonsense', (t) => {
  const unset = parseEnv({}).videos;
  t.deepEqual(
    { ffmpegPath: unset.ffmpegPath, ffprobePath: unset.ffprobePath, transcode: { ...unset.transcode } },
    {
      ffmpegPath: undefined,
      ffprobePath: undefined,
      transcode: {
        maxDecodedPixels: undefined,
        timePerVideoSecond: undefined,
        memoryBytes: undefined,
        resourceWaitMs: undefined,
        runningPerCreator: undefined,
        queuedPerCreator: undefined,
      },
    },
    'unset: the video-publishing component’s defaults apply (stated there once)',
  );
  const set = parseEnv({
    FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg',
    FFPROBE_PATH: '/opt/ffmpeg/bin/ffprobe',
    TRANSCODE_MAX_DECODED_PIXELS: '895795200000',
    TRANSCODE_TIME_PER_VIDEO_SECOND: '2.5',
    TRANSCODE_MEMORY_MB: '1024',
    TRANSCODE_RESOURCE_WAIT_MINUTES: '45',
    TRANSCODES_RUNNING_PER_CREATOR: '2',
    TRANSCODES_QUEUED_PER_CREATOR: '0',
  }).videos;
  t.deepEqual(
    { ffmpegPath: set.ffmpegPath, ffprobePath: set.ffprobePath, transcode: { ...set.transcode } },
    {
      ffmpegPath: '/opt/ffmpeg/bin/ffmpeg',
      ffprobePath: '/opt/ffmpeg/bin/ffprobe',
      transcode: {
        maxDecodedPixels: 895795200000,
        timePerVideoSecond: 2.5,
        memoryBytes: 1024 * 1024 * 1024,
        resourceWaitMs: 45 * 60_000,
        runningPerCreator: 2,
        queuedPerCreator: 0,
      },
    },
    'set: in bytes and milliseconds',
  );
  t.match(
    errorOf({ TRANSCODES_RUNNING_PER_CREATOR: '0' }),
    /^TRANSCODES_RUNNING_PER_CREATOR is malformed/,
    'none running per creator is no transcoding',
  );
  t.match(errorOf({ TRANSCODE_TIME_PER_VIDEO_SECOND: '-1' }), /^TRANSCODE_TIME_PER_VIDEO_SECOND is malformed/);
  t.match(errorOf({ TRANSCODE_MAX_DECODED_PIXELS: 'lots' }), /^TRANSCODE_MAX_DECODED_PIXELS is malformed/);
  t.end();
});

test('config: video files are sent by the app unless VIDEO_DELIVERY hands them to the proxy in front', (t) => {
  t.deepEqual(
    { ...parseEnv({}).videos.delivery },
    { mode: 'app', accelPrefix: '/protected-videos/' },
    'unset: the app streams them',
  );
  t.deepEqual(
    { ...parseEnv({ VIDEO_DELIVERY: 'x-accel-redirect', VIDEO_ACCEL_PREFIX: '/internal/videos/' }).videos.delivery },
    { mode: 'x-accel-redirect', accelPrefix: '/internal/videos/' },
    'set: X-Accel-Redirect under the prefix given',
  );
  t.match(errorOf({ VIDEO_DELIVERY: 'x-sendfile' }), /^VIDEO_DELIVERY is malformed/, 'a mode it does not know');
  for (const prefix of ['protected/', '/protected', '/../etc/', '/a/./b/', '/a b/', '/a%2f/', '/a//b/', '/'])
    t.match(
      errorOf({ VIDEO_ACCEL_PREFIX: prefix }),
      /^VIDEO_ACCEL_PREFIX is malformed/,
      `a prefix that could point elsewhere or is no folder: ${prefix}`,
    );
  t.end();
});

test('config: viewings have a per-address limit and a counting window, each a setting with a default', (t) => {
  const env = parseEnv({});
  t.same(
    env.rateLimits.viewingsPerAddress,
    { points: 60, windowSeconds: 600 },
    '60 viewings per address per 10 minutes',
  );
  t.equal(env.viewingCountWindowMs, 30 * 60_000, 'one counted per visitor and video per 30 minutes');
  const tuned = parseEnv({
    VIEWINGS_PER_ADDRESS: '500',
    VIEWING_LIMIT_WINDOW_SECONDS: '60',
    VIEWING_COUNT_WINDOW_MINUTES: '1440',
  });
  t.same(
    [tuned.rateLimits.viewingsPerAddress, tuned.viewingCountWindowMs],
    [{ points: 500, windowSeconds: 60 }, 24 * 60 * 60_000],
    'each can be tuned',
  );
  t.match(errorOf({ VIEWINGS_PER_ADDRESS: '0' }), /^VIEWINGS_PER_ADDRESS is malformed/, 'no limit of nothing');
  t.match(errorOf({ VIEWING_LIMIT_WINDOW_SECONDS: 'ten' }), /^VIEWING_LIMIT_WINDOW_SECONDS is malformed/);
  t.match(
    errorOf({ VIEWING_COUNT_WINDOW_MINUTES: '0' }),
    /^VIEWING_COUNT_WINDOW_MINUTES is malformed/,
    'a window of nothing would count every viewing: refused',
  );
  t.match(
    errorOf({ VIEWING_COUNT_WINDOW_MINUTES: String(367 * 24 * 60) }),
    /^VIEWING_COUNT_WINDOW_MINUTES is malformed.*a year/,
  );
  t.end();
});

test('config: the entry point stops with one line naming the variable', async (t) => {
  const malformed = await runMainToExit(bareEnv({ PORT: 'abc' }));
  t.equal(malformed.code, 1, 'exit code 1');
  t.match(
    malformed.stderr.trim(),
    /^Configuration error: PORT is malformed \("abc"\): [^\n]+$/,
    'one line naming PORT',
  );
  t.equal(malformed.stdout.trim(), '', 'nothing else is printed');

  const production = await runMainToExit(bareEnv({ ...URLS, NODE_ENV: 'production' }));
  t.equal(production.code, 1);
  t.match(production.stderr.trim(), /^Configuration error: COOKIE_SECRET is missing[^\n]*$/);
});
