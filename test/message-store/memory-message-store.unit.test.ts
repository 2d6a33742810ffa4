import { createMemoryMessageStore } from '../helpers/memory-message-store.ts';
import { storeContract } from './store-contract.ts';

// The unit tier's store, held to the same cases as Message DB (contract.test.ts).
storeContract('memory', async (scope) => scope.add(createMemoryMessageStore(), (store) => store.close()));
