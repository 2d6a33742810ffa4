import test from 'tape';
import type { DemoSeeding } from '../../src/demo/index.ts';
import { createSeedingProgress, demoPreparing, PREPARING_PATIENCE_MS } from '../../src/demo/progress.ts';
import type { MessageStore } from '../../src/message-store/index.ts';

// A store where the samples' commands were sent and nothing ever answered them: no worker runs
// (`npm start -- --web` alone), or a sample's command was parked.
const silentStore = { readStream: async () => [] } as unknown as MessageStore;

test('demo preparing: samples nobody converts are not "being prepared" for ever', async (t) => {
  let clock = Date.parse('2026-12-06T12:00:00Z');
  const progress = createSeedingProgress(() => clock);
  await progress.track(Promise.resolve<DemoSeeding>({ written: [] }));
  const preparing = demoPreparing(progress, silentStore, () => clock);
  t.equal(await preparing(), true, 'just after the seeder: the samples are on their way');
  clock += PREPARING_PATIENCE_MS - 1;
  t.equal(await preparing(), true, 'still, within the time conversion takes');
  clock += 2;
  t.equal(await preparing(), false, 'long past it: the page stops refreshing and says the catalog is empty');
  t.ok(PREPARING_PATIENCE_MS >= 5 * 60_000, 'with room for a slow machine');
  t.end();
});
