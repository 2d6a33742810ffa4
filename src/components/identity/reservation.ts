import { parseMessage } from '../../contracts/parse.ts';
import { type MessageStore } from '../../message-store/index.ts';
import { identityEmailSchemas, identityHandleSchemas } from '../../contracts/identity.ts';

interface Reservation {
  readonly holder: string | undefined;
  readonly version: number;
}

/**
 * Who holds a reservation stream now, and its version. An email's and a handle's streams work
 * alike: EmailReserved/HandleReserved claims; EmailReleased/HandleReleased frees, so the next
 * claim, written at the stream's current version, takes it again.
 */
async function holderOf(messageStore: MessageStore, stream: string, kind: 'Email' | 'Handle'): Promise<Reservation> {
  let holder: string | undefined;
  let version = -1;
  for (const message of await messageStore.readStream(stream)) {
    version = message.position;
    const event = kind === 'Email' ? parseMessage(identityEmailSchemas, message) : parseMessage(identityHandleSchemas, message);
    if (!event) throw new Error(`${stream} holds ${message.type}, not ${kind}Reserved or ${kind}Released`);
    holder = event.type === 'EmailReserved' || event.type === 'HandleReserved' ? event.data.userId : undefined;
  }
  return { holder, version };
}

/** An identityEmail-<…> stream's holder and version. */
export function reservationOf(messageStore: MessageStore, stream: string): Promise<Reservation> {
  return holderOf(messageStore, stream, 'Email');
}

/** An identityHandle-<…> stream's holder and version. */
export function handleReservationOf(messageStore: MessageStore, stream: string): Promise<Reservation> {
  return holderOf(messageStore, stream, 'Handle');
}
