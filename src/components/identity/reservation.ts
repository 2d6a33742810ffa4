import { parseMessage } from '../../contracts/parse.ts';
import { type MessageStore } from '../../message-store/index.ts';
import { identityEmailSchemas } from '../../contracts/identity.ts';

/**
 * Who holds an email reservation stream now, and its version. EmailReserved claims the address;
 * EmailReleased (written when its holder is erased) frees it, so the next EmailReserved, written
 * at the stream's current version, claims it again.
 */
export async function reservationOf(messageStore: MessageStore, stream: string): Promise<{ holder: string | undefined; version: number }> {
  let holder: string | undefined;
  let version = -1;
  for (const message of await messageStore.readStream(stream)) {
    version = message.position;
    const event = parseMessage(identityEmailSchemas, message);
    if (!event) throw new Error(`${stream} holds ${message.type}, not EmailReserved or EmailReleased`);
    holder = event.type === 'EmailReserved' ? event.data.userId : undefined;
  }
  return { holder, version };
}
