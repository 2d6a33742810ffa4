import { DEMO_ACCOUNT } from '../../src/demo/index.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { operatorEnv, runCli, type CliResult } from '../helpers/run-cli.ts';
import { tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

function runSeed(env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli('src/bin/seed.ts', [], env);
}

scopedTest(
  'npm run seed: sends the three samples and prints the demo log-in; run again, it says so and writes nothing',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const env = operatorEnv({
      DATABASE_URL: urls.databaseUrl,
      MESSAGE_STORE_URL: urls.messageStoreUrl,
      VIDEO_DIR: await tempDir(scope),
      BCRYPT_COST: '4',
    });
    const first = await runSeed(env);
    t.equal(first.code, 0, `exits 0${first.stderr && `: ${first.stderr}`}`);
    t.match(first.stdout, /^Sent 3 sample videos for publishing: /, 'says what it sent');
    t.ok(
      first.stdout.includes(`log in as ${DEMO_ACCOUNT.email} with the password ${DEMO_ACCOUNT.password}`),
      'and how to log in',
    );

    const second = await runSeed(env);
    t.equal(second.code, 0, 'the second run exits 0');
    t.match(second.stdout, /sent before; nothing new was written/, 'and says nothing was new');
    t.ok(second.stdout.includes(DEMO_ACCOUNT.password), 'with the log-in again');
    const publishes = (await store.readCategory('videoPublishing:command')).filter(
      (command) => command.type === 'PublishVideo',
    );
    t.equal(publishes.length, 3, 'three PublishVideo in all');
  },
);
