import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import test from 'tape';
import { chooseLogFormat, loggerOptions } from '../../src/logger.ts';

test('log format: pretty lines for a person at a terminal outside production, JSON otherwise', (t) => {
  t.equal(chooseLogFormat({ isTTY: true, nodeEnv: 'development' }), 'pretty', 'npm start in a terminal');
  t.equal(chooseLogFormat({ isTTY: true, nodeEnv: 'test' }), 'pretty');
  t.equal(chooseLogFormat({ isTTY: false, nodeEnv: 'development' }), 'json', 'piped or redirected: a program reads it');
  t.equal(chooseLogFormat({ isTTY: true, nodeEnv: 'production' }), 'json', 'production: a log collector reads it');
  t.equal(chooseLogFormat({ isTTY: false, nodeEnv: 'production' }), 'json');
  t.end();
});

test('log format: LOG_FORMAT forces either', (t) => {
  t.equal(chooseLogFormat({ isTTY: false, nodeEnv: 'production', logFormat: 'pretty' }), 'pretty');
  t.equal(chooseLogFormat({ isTTY: true, nodeEnv: 'development', logFormat: 'json' }), 'json');
  t.end();
});

test('log format: pretty goes through pino-pretty, json straight to the stream', (t) => {
  t.equal(loggerOptions('info', 'json').transport, undefined, 'JSON: no transport');
  const pretty = loggerOptions('debug', 'pretty');
  t.equal(pretty.level, 'debug');
  t.match(JSON.stringify(pretty.transport), /"target":"pino-pretty"/, 'pretty: the pino-pretty transport');
  // A dependency, not a dev one: `npm start` needs it where only dependencies are installed.
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  t.ok(manifest.dependencies['pino-pretty'], 'pino-pretty is a dependency');
  t.ok(createRequire(import.meta.url).resolve('pino-pretty'), 'and installed');
  t.end();
});
