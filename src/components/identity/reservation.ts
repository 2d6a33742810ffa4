import { parseMessage } from '../../contracts/parse.ts';
import {
  follow,
  VersionConflictError,
  type MessageStore,
  type Recorded,
  type Message,
} from '../../message-store/index.ts';
import type { PersonalData, PersonalField } from '../../personal-data/seal.ts';
import {
  identityEmailSchemas,
  identityEmailStreamName,
  identityHandleSchemas,
  identityStreamName,
  normaliseEmail,
} from '../../contracts/identity.ts';
import { answerId } from './ids.ts';
import { identityProjection } from './identity.ts';
import { unexpired } from './verification.ts';

interface Reservation {
  readonly holder: string | undefined;
  readonly version: number;
}

/**
 * Who holds a reservation stream now, and its version. An email's and a handle's streams work
 * alike: EmailReserved/HandleReserved claims; EmailReleased/HandleReleased (written when its
 * holder is erased, moves away, or abandons a change to it) frees, so the next claim, written at
 * the stream's current version, takes it again.
 */
async function holderOf(messageStore: MessageStore, stream: string, kind: 'Email' | 'Handle'): Promise<Reservation> {
  let holder: string | undefined;
  let version = -1;
  for (const message of await messageStore.readStream(stream)) {
    version = message.position;
    const event =
      kind === 'Email' ? parseMessage(identityEmailSchemas, message) : parseMessage(identityHandleSchemas, message);
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

interface Deps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
}

/** The address a sealed (or older, plain) field holds, normalised; undefined once the key is gone. */
async function opened(
  personalData: PersonalData,
  userId: string,
  field: PersonalField | undefined,
): Promise<string | undefined> {
  if (field === undefined) return undefined;
  const email = await personalData.open(userId, field);
  return email === undefined ? undefined : normaliseEmail(email);
}

/**
 * The email reservations, decided from the holder's own stream rather than only from the
 * reservation stream: a reservation holds while its holder's stream says the address is theirs
 * (their registered address, a registration still in flight, or their latest email change, used
 * or not yet expired). Anything else is free however the reservation stream ends: a holder erased
 * (their key goes before their EmailReleased), moved to another address, or whose change was
 * abandoned (a newer change asked for, or its link expired). So an abandoned change holds the
 * new address at most for the link's lifetime, and is released for good the next time someone
 * reserves it; EmailReleased is written where identity knows at once (a change used or replaced)
 * to keep the record plain.
 */
export function createReservations({ messageStore, personalData }: Deps) {
  /** Whether `holder`'s reservation of `email` still holds at `at`. */
  async function stillHolds(holder: string, email: string, at: Date): Promise<boolean> {
    if (await personalData.isErased(holder)) return false;
    const { state } = await messageStore.project(identityStreamName(holder), identityProjection);
    // A refused registration is final for its user id: its claim must not keep the address for ever.
    if (state.erased || state.rejected) return false;
    // The reservation is written before Registered: a registration in flight holds its address.
    if (!state.registered) return true;
    if ((await opened(personalData, holder, state.email)) === email) return true;
    const { change } = state.verification;
    return (
      change !== undefined && unexpired(change, at) && (await opened(personalData, holder, change.email)) === email
    );
  }

  /**
   * Claims `email` (normalised) for `userId`, or names who holds it. Writing at the version read
   * makes the first writer win however many claims race for the address; a user finding their own
   * reservation (the same command again) goes on. `stored` is the email as the command carried it.
   */
  async function reserve(
    email: string,
    stored: PersonalField,
    userId: string,
    command: Recorded<Message<string, unknown>>,
  ): Promise<string> {
    const stream = identityEmailStreamName(email);
    const { holder, version } = await reservationOf(messageStore, stream);
    if (holder !== undefined && (holder === userId || (await stillHolds(holder, email, command.time)))) return holder;
    const reservation = follow(
      command,
      'EmailReserved',
      { email: stored, userId },
      {},
      answerId(command.id, 'EmailReserved'),
    );
    try {
      await messageStore.write(stream, reservation, version);
      return userId;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
    const { holder: owner } = await reservationOf(messageStore, stream);
    if (owner === undefined) throw new Error(`${stream} conflicted at version ${version} but is free again: retry`);
    return owner;
  }

  /**
   * Writes EmailReleased for `email` if `userId` holds its stream but no longer holds the address
   * (stillHolds). Idempotent: its id comes from the cause and the version, and a conflict means
   * someone else moved first.
   */
  async function releaseIfLetGo(
    email: string,
    userId: string,
    cause: Recorded<Message<string, unknown>>,
  ): Promise<void> {
    const stream = identityEmailStreamName(email);
    const { holder, version } = await reservationOf(messageStore, stream);
    if (holder !== userId || (await stillHolds(userId, email, cause.time))) return;
    try {
      await messageStore.write(
        stream,
        follow(cause, 'EmailReleased', { userId }, {}, answerId(cause.id, `EmailReleased/${version}`)),
        version,
      );
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }

  return {
    reserve,
    releaseIfLetGo,
    stillHolds,
    opened: (userId: string, field: PersonalField | undefined) => opened(personalData, userId, field),
  };
}

export type Reservations = ReturnType<typeof createReservations>;
