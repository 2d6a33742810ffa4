import { v5 as uuidV5 } from 'uuid';
import { parseMessage } from '../../contracts/parse.ts';
import { VersionConflictError, type MessageStore, type Metadata } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import {
  identityCommandSchemas,
  identityCommandStreamName,
  identityEmailStreamName,
  identityHandleStreamName,
  identityStreamName,
} from '../../contracts/identity.ts';
import { isGeneratedHandle } from '../../contracts/profile-rules.ts';
import { identityProjection } from './identity.ts';
import { handleReservationOf, reservationOf } from './reservation.ts';

// Fixed: an erasure retried writes the same ids, and the store's idempotent write keeps one of each.
const ERASURE_NAMESPACE = '6f1d2c84-9e3a-4b57-a0c2-7d5e8f1b3a96';

interface EraseDeps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
}

/**
 * The address and handle the user registered with (or changed to), or asked for (their Register,
 * when identity refused or never handled it), while their key still opens them. A generated
 * handle is never reserved, so it is not named here.
 */
async function namesOf(
  { messageStore, personalData }: EraseDeps,
  userId: string,
): Promise<{ email?: string | undefined; handle?: string | undefined }> {
  const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
  if (state.email !== undefined) {
    return {
      email: await personalData.open(userId, state.email),
      handle: state.handle === undefined ? undefined : await personalData.open(userId, state.handle),
    };
  }
  for (const message of await messageStore.readStream(identityCommandStreamName(userId))) {
    const command = parseMessage(identityCommandSchemas, message);
    if (command?.type === 'Register') {
      return {
        email: await personalData.open(userId, command.data.email),
        handle: command.data.handle && (await personalData.open(userId, command.data.handle)),
      };
    }
  }
  return {};
}

/** Writes `type` (EmailReleased, HandleReleased) to `stream` if the user still holds it there. */
async function release(
  messageStore: MessageStore,
  { stream, holderOf, type }: { stream: string; holderOf: typeof reservationOf; type: string },
  userId: string,
  metadata: Metadata,
): Promise<void> {
  const { holder, version } = await holderOf(messageStore, stream);
  if (holder !== userId) return;
  try {
    await messageStore.write(
      stream,
      { id: uuidV5(`${userId}/${type}/${version}`, ERASURE_NAMESPACE), type, data: { userId }, metadata },
      version,
    );
  } catch (error) {
    // A registration claimed it first, as it may once the key is gone.
    if (!(error instanceof VersionConflictError)) throw error;
  }
}

/**
 * Erases a user by crypto-shredding, in an order that survives a crash at any step (running it
 * again finishes the job):
 * 1. open the user's email and handle while the key still exists, and find their reservation streams;
 * 2. delete the key: every sealed field of the user's messages stops opening, log-in refuses
 *    the user, and identity counts a reservation they still hold as free (reserve() in
 *    handlers/commands.ts), so nothing after this step is needed to free the address;
 * 3. write EmailReleased (and HandleReleased) there if the user still holds them, to put the release on record (an
 *    erasure run again after a crash between 2 and 3 can no longer name the stream: step 2
 *    already freed it);
 * 4. write UserErased to identity-<userId>, which the projections follow (blank or drop).
 * The key goes before the release so that no moment exists where the address is free for
 * someone else while the old account still logs in. Works for anyone with a key or a Register,
 * registered or not. Written directly rather than through an identity command: the key lives in
 * the app database, which the admin action holds, and each step is idempotent.
 */
export async function eraseUser(
  deps: EraseDeps,
  userId: string,
  { by, traceId }: { by: string; traceId: string },
): Promise<void> {
  const { messageStore, personalData } = deps;
  const { email, handle } = await namesOf(deps, userId);
  await personalData.erase(userId);
  const metadata = { traceId, userId: by };
  if (email !== undefined)
    await release(
      messageStore,
      { stream: identityEmailStreamName(email), holderOf: reservationOf, type: 'EmailReleased' },
      userId,
      metadata,
    );
  if (handle !== undefined && !isGeneratedHandle(handle)) {
    await release(
      messageStore,
      { stream: identityHandleStreamName(handle), holderOf: handleReservationOf, type: 'HandleReleased' },
      userId,
      metadata,
    );
  }
  await messageStore.write(identityStreamName(userId), {
    id: uuidV5(`${userId}/UserErased`, ERASURE_NAMESPACE),
    type: 'UserErased',
    data: { userId, by },
    metadata,
  });
}
