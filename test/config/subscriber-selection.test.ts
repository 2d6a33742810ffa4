import test from 'tape';
import { createTestSystem } from '../helpers/test-system.ts';

test('worker --only: a full id, an id without its kind, or a whole component picks subscribers; anything else is refused', async (t) => {
  const picked = async (names: string[]) => {
    const system = await createTestSystem({ run: { subscribers: names } });
    try {
      return system.status().map((status) => status.subscriberId);
    } finally {
      await system.stop();
    }
  };
  t.deepEqual(await picked(['home-page', 'aggregators:user-credentials']), [
    'aggregators:home-page',
    'aggregators:user-credentials',
  ]);
  t.deepEqual(
    await picked(['identity']),
    ['components:identity:commands', 'components:identity:events', 'components:identity:send-email-events'],
    'a component by name: all its subscribers',
  );
  t.deepEqual(await picked(['identity:commands']), ['components:identity:commands'], 'or one of them');

  const refusal = async (names: string[]) => {
    try {
      await picked(names);
      return 'accepted';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  t.match(await refusal(['nonsense']), /^No subscriber named nonsense; there are: .*aggregators:home-page/);
  t.match(
    await refusal(['commands']),
    /^No subscriber named commands/,
    'a last part alone could mean several components: refused',
  );
  t.match(await refusal(['ident']), /^No subscriber named ident/, 'no partial words');
});
