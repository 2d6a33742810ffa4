import { storeContract } from './store-contract.ts';
import { openTestStore } from '../helpers/message-store.ts';

// The contract the in-memory store (test/helpers/memory-message-store.ts) is held to, on Message DB itself.
storeContract('PostgreSQL', async (scope) => (await openTestStore(scope)).store);
