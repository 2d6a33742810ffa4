import {
  follow,
  VersionConflictError,
  type Message,
  type MessageStore,
  type Recorded,
} from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { identityStreamName } from '../../contracts/identity.ts';
import { answerId } from './ids.ts';
import { identityProjection } from './identity.ts';
import { handleReservationOf, reservationOf } from './reservation.ts';

/** An email's or a handle's reservation streams: how to read one and what its messages are called. */
const KINDS = {
  email: { read: reservationOf, reserved: 'EmailReserved', released: 'EmailReleased' },
  handle: { read: handleReservationOf, reserved: 'HandleReserved', released: 'HandleReleased' },
} as const;
type Kind = keyof typeof KINDS;

interface Deps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
}

/**
 * Claiming and giving back an email address or a handle, through its reservation stream. The
 * first writer at the version it read wins, however many race (−1 for a name never claimed).
 */
export function createClaims({ messageStore, personalData }: Deps) {
  /**
   * Does `holder`'s reservation still count? An erased user holds nothing (their key goes before
   * their release is written, erase-user.ts), nor does one whose registration was refused (a
   * refused Register is final for its user id): a crash before either release must not keep
   * the name for ever.
   */
  async function holds(holder: string): Promise<boolean> {
    if (await personalData.isErased(holder)) return false;
    const { state } = await messageStore.project(identityStreamName(holder), identityProjection);
    return !state.rejected;
  }

  return {
    holds,

    /**
     * Claims the name reserved on `stream` for `userId`, or names who holds it. `data` is the
     * reservation's data (the name sealed with the user's key, and the user). A user finding
     * their own reservation (the same command again) goes on.
     */
    async claim(
      kind: Kind,
      stream: string,
      data: { readonly userId: string; readonly [field: string]: unknown },
      cause: Recorded<Message>,
    ): Promise<string> {
      const { read, reserved } = KINDS[kind];
      const { userId } = data;
      const { holder, version } = await read(messageStore, stream);
      if (holder !== undefined && (holder === userId || (await holds(holder)))) return holder;
      try {
        await messageStore.write(stream, follow(cause, reserved, data, {}, answerId(cause.id, reserved)), version);
        return userId;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
      const after = await read(messageStore, stream);
      if (after.holder === undefined)
        throw new Error(`${stream} conflicted at version ${version} but is free again: retry`);
      return after.holder;
    },

    /** Gives the name on `stream` back, if `userId` holds it: the next claim takes it. One release per cause. */
    async release(kind: Kind, stream: string, userId: string, cause: Recorded<Message>): Promise<void> {
      const { read, released } = KINDS[kind];
      const { holder, version } = await read(messageStore, stream);
      if (holder !== userId) return;
      try {
        await messageStore.write(
          stream,
          follow(cause, released, { userId }, {}, answerId(cause.id, released)),
          version,
        );
      } catch (error) {
        // Someone claimed it first, as they may once our claim no longer counts.
        if (!(error instanceof VersionConflictError)) throw error;
      }
    },
  };
}

export type Claims = ReturnType<typeof createClaims>;
