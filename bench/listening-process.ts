// Another app process for the bench: it listens for writes (as a process with subscribers does)
// until its standard input closes, so the writers' process pays only for sending NOTIFYs.
import { createLogger } from '../src/logger.ts';
import { messageVersions } from '../src/contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../src/message-store/index.ts';

const url = process.env.MESSAGE_STORE_URL!;
const logger = createLogger('silent');
const pool = createMessageStorePool(url, { logger, max: 1 });
const store = createMessageStore({ pool, url, logger, versions: messageVersions });
let heard = 0;
store.onWrite('*', () => void (heard += 1));
// A first write makes sure the session connection is up and listening before we say so.
await store.write(`benchListener-${process.pid}`, { id: crypto.randomUUID(), type: 'Ready', data: {}, metadata: {} });
process.stdout.write('listening\n');
process.stdin.resume();
process.stdin.on('end', () => {
  process.stderr.write(`listener heard ${heard} wake-ups\n`);
  // An event listener cannot be awaited: a failure to close is said and ends the process with 1.
  store
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`listener could not close: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
});
