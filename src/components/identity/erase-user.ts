import { v5 as uuidV5 } from 'uuid';
import type { MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { identityEmailStreamName, identityStreamName } from './contract.ts';
import { identityProjection } from './identity.ts';
import { reservationOf } from './reservation.ts';

// Fixed: an erasure retried writes the same ids, and the store's idempotent write keeps one of each.
const ERASURE_NAMESPACE = '6f1d2c84-9e3a-4b57-a0c2-7d5e8f1b3a96';

interface EraseDeps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
}

/**
 * Erases a user by crypto-shredding, in an order that survives a crash at any step (running it
 * again finishes the job):
 * 1. open the user's email while the key still exists, and find its reservation stream;
 * 2. write EmailReleased there if the user still holds it, so the address can register again;
 * 3. delete the key: every sealed field of the user's messages stops opening;
 * 4. write UserErased to identity-<userId>, which the projections follow (blank or drop).
 * Written directly rather than through an identity command: the key lives in the app database,
 * which the admin action holds, and each step is idempotent.
 */
export async function eraseUser({ messageStore, personalData }: EraseDeps, userId: string, { by, traceId }: { by: string; traceId: string }): Promise<void> {
  const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
  const email = state.email === undefined ? undefined : await personalData.open(userId, state.email);
  const metadata = { traceId, userId: by };
  if (email !== undefined) {
    const stream = identityEmailStreamName(email);
    const { holder, version } = await reservationOf(messageStore, stream);
    if (holder === userId) {
      await messageStore.write(stream, { id: uuidV5(`${userId}/EmailReleased/${version}`, ERASURE_NAMESPACE), type: 'EmailReleased', data: { userId }, metadata }, version);
    }
  }
  await personalData.erase(userId);
  await messageStore.write(identityStreamName(userId), { id: uuidV5(`${userId}/UserErased`, ERASURE_NAMESPACE), type: 'UserErased', data: { userId, by }, metadata });
}
