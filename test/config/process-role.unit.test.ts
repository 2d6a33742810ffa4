import test from 'tape';
import { ConfigError } from '../../src/config/env.ts';
import { parseProcessRole } from '../../src/config/process-role.ts';

function errorOf(argv: string[]): string {
  try {
    parseProcessRole(argv);
    return 'no error';
  } catch (error) {
    return error instanceof ConfigError ? error.message : `unexpected ${String(error)}`;
  }
}

test('process role: all-in-one by default, web, and workers in a consumer group', (t) => {
  t.deepEqual(
    parseProcessRole([]),
    { name: 'all-in-one', http: true, run: { subscribers: 'all' } },
    'npm start does everything',
  );
  t.deepEqual(
    parseProcessRole(['--web']),
    { name: 'web', http: true, run: { subscribers: 'none' } },
    'a web process runs no subscriber',
  );
  t.deepEqual(parseProcessRole(['--worker']), { name: 'worker', http: false, run: { subscribers: 'all' } });
  t.deepEqual(
    parseProcessRole(['--worker', '--only', 'home-page, aggregators:x', '--member', '1', '--size', '3']),
    {
      name: 'worker',
      http: false,
      run: { subscribers: ['home-page', 'aggregators:x'], consumerGroup: { member: 1, size: 3 } },
    },
    'a worker of a group, for some subscribers',
  );
  t.end();
});

test('process role: a bad command line is refused with one clear line', (t) => {
  t.match(errorOf(['--web', '--worker']), /exclude each other/);
  t.match(errorOf(['--only', 'x']), /--only is for --worker/);
  t.match(errorOf(['--worker', '--member', '1']), /--member and --size together/);
  t.match(errorOf(['--worker', '--member', '2', '--size', '2']), /--member must be from 0/);
  t.match(errorOf(['--worker', '--member', 'a', '--size', '2']), /--member must be from 0/);
  t.match(
    errorOf(['--worker', '--member', '0', '--size', '40000']),
    /--size from 1 to 32,767/,
    'a size Message DB refuses',
  );
  t.match(errorOf(['--wrker']), /command line: .*wrker/);
  t.end();
});
