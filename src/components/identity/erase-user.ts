import { v5 as uuidV5 } from 'uuid';
import { parseMessage } from '../../contracts/parse.ts';
import { VersionConflictError, type MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { identityCommandSchemas, identityCommandStreamName, identityEmailStreamName, identityStreamName } from '../../contracts/identity.ts';
import { identityProjection } from './identity.ts';
import { reservationOf } from './reservation.ts';

// Fixed: an erasure retried writes the same ids, and the store's idempotent write keeps one of each.
const ERASURE_NAMESPACE = '6f1d2c84-9e3a-4b57-a0c2-7d5e8f1b3a96';

interface EraseDeps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
}

/**
 * The address the user registered with, or asked to (their Register, when identity refused or
 * never handled it), while their key still opens it.
 */
async function emailOf({ messageStore, personalData }: EraseDeps, userId: string): Promise<string | undefined> {
  const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
  if (state.email !== undefined) return personalData.open(userId, state.email);
  for (const message of await messageStore.readStream(identityCommandStreamName(userId))) {
    const command = parseMessage(identityCommandSchemas, message);
    if (command?.type === 'Register') return personalData.open(userId, command.data.email);
  }
  return undefined;
}

/**
 * Erases a user by crypto-shredding, in an order that survives a crash at any step (running it
 * again finishes the job):
 * 1. open the user's email while the key still exists, and find its reservation stream;
 * 2. delete the key: every sealed field of the user's messages stops opening, log-in refuses
 *    the user, and identity counts a reservation they still hold as free (reserve() in
 *    handlers/commands.ts), so nothing after this step is needed to free the address;
 * 3. write EmailReleased there if the user still holds it, to put the release on record (an
 *    erasure run again after a crash between 2 and 3 can no longer name the stream: step 2
 *    already freed it);
 * 4. write UserErased to identity-<userId>, which the projections follow (blank or drop).
 * The key goes before the release so that no moment exists where the address is free for
 * someone else while the old account still logs in. Works for anyone with a key or a Register,
 * registered or not. Written directly rather than through an identity command: the key lives in
 * the app database, which the admin action holds, and each step is idempotent.
 */
export async function eraseUser(deps: EraseDeps, userId: string, { by, traceId }: { by: string; traceId: string }): Promise<void> {
  const { messageStore, personalData } = deps;
  const email = await emailOf(deps, userId);
  const reservation = email === undefined ? undefined : identityEmailStreamName(email);
  await personalData.erase(userId);
  const metadata = { traceId, userId: by };
  if (reservation !== undefined) {
    const { holder, version } = await reservationOf(messageStore, reservation);
    if (holder === userId) {
      try {
        await messageStore.write(
          reservation,
          { id: uuidV5(`${userId}/EmailReleased/${version}`, ERASURE_NAMESPACE), type: 'EmailReleased', data: { userId }, metadata },
          version,
        );
      } catch (error) {
        // A registration claimed the address first, as it may once the key is gone.
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }
  await messageStore.write(identityStreamName(userId), {
    id: uuidV5(`${userId}/UserErased`, ERASURE_NAMESPACE),
    type: 'UserErased',
    data: { userId, by },
    metadata,
  });
}
