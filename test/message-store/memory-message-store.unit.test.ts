import { createMemoryMessageStore } from '../helpers/memory-message-store.ts';
import { message } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { storeContract } from './store-contract.ts';

// The unit tier's store, held to the same cases as Message DB (contract.test.ts).
storeContract('memory', async (scope) => scope.add(createMemoryMessageStore(), (store) => store.close()));

scopedTest(
  'memory store: written() shows every message written, in global order, as a reader gets it',
  async (t, scope) => {
    const store = scope.add(createMemoryMessageStore(), (s) => s.close());
    await store.write('a-1', message('First', { n: 1 }));
    await store.write('b-1', message('Second', { n: 2 }));
    const written = store.written();
    t.deepEqual(
      written.map((m) => [m.streamName, m.type, m.globalPosition, m.data]),
      [
        ['a-1', 'First', 1, { n: 1 }],
        ['b-1', 'Second', 2, { n: 2 }],
      ],
    );
    (written[0]!.data as { n: number }).n = 99;
    t.deepEqual((await store.readStream('a-1'))[0]?.data, { n: 1 }, 'a copy: changing it changes nothing stored');
  },
);
