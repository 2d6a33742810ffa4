import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { componentPositionStream, createComponentProcessor } from '../../src/subscription/component-processor.ts';
import { createSubscription } from '../../src/subscription/subscription.ts';
import { silentLogger } from '../helpers/databases.ts';
import { uniqueCategory, writeMany } from '../helpers/message-store.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { processorContext } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';

// A component whose handler only hands work on (the transcode queue): its stored position must
// never pass a message whose work is still in hand, or a restart would lose that work.

const storedPosition = async (store: MessageStore, subscriberId: string): Promise<number | undefined> =>
  ((await store.readLastMessage(componentPositionStream(subscriberId)))?.data as { position: number } | undefined)
    ?.position;

scopedTest(
  'component processor: the stored position stays below the oldest message still in hand, and catches up once it is done',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const category = uniqueCategory();
    await writeMany(store, category, 5);
    const subscriberId = `components:test:${category}`;
    const inHand = new Map<string, number>();
    const handle = async (message: RawMessage) => void inHand.set(message.id, message.globalPosition);
    const oldest = () => (inHand.size === 0 ? undefined : Math.min(...inHand.values()));
    const start = () =>
      scope.running(
        createSubscription({
          messageStore: store,
          logger: silentLogger,
          subscriberId,
          category,
          retry: FAST_RETRY,
          processor: createComponentProcessor({
            messageStore: store,
            subscriberId,
            handle,
            positionUpdateInterval: 2,
            heldBack: oldest,
          }),
        }),
      );

    const first = start();
    t.equal(await first.tick(), 5, 'all five handed on');
    t.equal(await first.tick(), 0, 'caught up');
    const [firstHeld] = [...inHand.values()];
    t.equal(await storedPosition(store, subscriberId), undefined, 'nothing stored: all five are still in hand');
    inHand.delete([...inHand.keys()][0]!);
    inHand.delete([...inHand.keys()][0]!);
    await first.tick();
    const third = Math.min(...inHand.values());
    t.equal(await storedPosition(store, subscriberId), third - 1, 'two done: stored up to just before the third');
    t.ok(
      first.status().checkpoint < third && first.status().checkpoint > (firstHeld ?? 0),
      'and the status says what is stored, not what was read',
    );
    await first.stop();

    const rereads: number[] = [];
    const second = createSubscription({
      messageStore: store,
      logger: silentLogger,
      subscriberId,
      category,
      retry: FAST_RETRY,
      processor: createComponentProcessor({
        messageStore: store,
        subscriberId,
        handle: async (message) => void rereads.push(message.globalPosition),
      }),
    });
    scope.running(second);
    await second.tick();
    t.deepEqual(
      rereads,
      [...inHand.values()].sort((a, b) => a - b),
      'a restart reads again exactly the three still in hand',
    );
    inHand.clear();
    await second.tick();
    t.equal(
      await storedPosition(store, subscriberId),
      Math.max(...rereads),
      'with nothing held back, caught up is stored',
    );
  },
);

scopedTest(
  'component processor: park() files a message whose work failed elsewhere in the dead-letter stream, as a failed delivery would',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const category = uniqueCategory();
    await writeMany(store, category, 1);
    const [message] = await store.readCategory(category);
    const processor = createComponentProcessor({
      messageStore: store,
      subscriberId: `components:test:${category}`,
      handle: async () => undefined,
    });
    const context = processorContext();
    await processor.park(message!, new Error('the worker gave up'), 4, context);
    await processor.park(message!, new Error('the worker gave up'), 4, context);
    const parked = await store.readStream(processor.deadLetterStream);
    t.equal(parked.length, 1, 'parked once, however often told');
    t.deepEqual(parked[0]?.data, {
      subscriberId: `components:test:${category}`,
      message: {
        id: message!.id,
        streamName: message!.streamName,
        position: message!.position,
        globalPosition: message!.globalPosition,
        type: message!.type,
      },
      error: 'Error: the worker gave up',
      attempts: 4,
    });
    t.equal(context.stats.parked, 2, 'counted');
  },
);
