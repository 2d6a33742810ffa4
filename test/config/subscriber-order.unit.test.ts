import test from 'tape';
import { createSystem } from '../../src/system.ts';
import { createLogger } from '../../src/logger.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

// Nothing connects until a subscriber starts or a page is asked for: unreachable URLs are enough.
const NOWHERE = {
  databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
  messageStoreUrl: 'postgres://nobody@127.0.0.1:1/none',
};

/**
 * The order the admin subscribers page, the dashboard and GET /status list subscribers in, and
 * the order start() starts them: as it was before the projections got one definition each (#16),
 * which was to change no behaviour. A projection added later may go anywhere; these keep their places.
 */
const BEFORE_16 = [
  'aggregators:home-page',
  'aggregators:user-credentials',
  'components:identity:commands',
  'components:identity:events',
  'components:identity:send-email-events',
  'components:send-email',
  'components:send-email:retries',
  'components:video-publishing:commands',
  'components:video-publishing:transcoding',
  'aggregators:videos',
  'aggregators:videos:views',
  'aggregators:creators-videos',
  'aggregators:video-operations:commands',
  'aggregators:video-operations',
  'aggregators:admin-users:identity',
  'aggregators:admin-users:authentication',
  'aggregators:admin-users:videos',
  'aggregators:admin-users:viewings',
  'aggregators:admin-streams',
  'aggregators:audit-chain',
];

test('system: every subscriber, listed (status, the subscribers page) in the order it had before #16', async (t) => {
  const system = createSystem({
    urls: NOWHERE,
    logger: createLogger('silent'),
    cookieSecret: 'x'.repeat(40),
    production: false,
  });
  closeAtEnd(t, () => system.stop());
  const listed = system.status().map((status) => status.subscriberId);
  t.deepEqual(
    listed.filter((id) => BEFORE_16.includes(id)),
    BEFORE_16,
    'the subscribers there were before #16, in their order',
  );
  t.deepEqual(
    system.subscriptions.map((subscription) => subscription.subscriberId),
    listed,
    'every subscriber is defined and, with run: all, runs in that order',
  );
});
