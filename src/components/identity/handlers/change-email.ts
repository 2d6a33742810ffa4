import type { Logger } from '../../../logger.ts';
import { follow, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { PersonalData } from '../../../personal-data/seal.ts';
import {
  identityStreamName,
  normaliseEmail,
  REJECTION_REASONS,
  type IdentityCommand,
} from '../../../contracts/identity.ts';
import { answerId, emailChangeRequestId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import type { Reservations } from '../reservation.ts';

type ChangeEmail = Recorded<Extract<IdentityCommand, { type: 'ChangeEmail' }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly personalData: PersonalData;
  readonly reservations: Reservations;
}

/**
 * ChangeEmail: reserves the new address exactly as registration does (first writer wins), then
 * records EmailChangeRequested, whose link (sent by the events subscriber, with a notice to the
 * current address) switches the account over when used. Nothing switches here. A change asked
 * for earlier and not used is replaced: its address is released.
 */
export function createChangeEmail({
  messageStore,
  logger,
  personalData,
  reservations,
}: Deps): (command: ChangeEmail) => Promise<void> {
  return async function changeEmail(command) {
    const { userId } = command.data;
    const stream = identityStreamName(userId);
    const log = logger.child({ userId, commandId: command.id });
    const { state, version } = await messageStore.project(stream, identityProjection);
    if (state.handled.has(command.globalPosition)) {
      log.debug('ChangeEmail ignored: already handled');
      return;
    }
    if (version < 0) {
      log.info('ChangeEmail ignored: no such user');
      return;
    }
    const refuse = async (reason: string): Promise<void> => {
      await messageStore.write(
        stream,
        follow(command, 'EmailChangeRefused', { userId, reason }, {}, answerId(command.id, 'EmailChangeRefused')),
        version,
      );
      log.info({ reason }, 'email change refused');
    };
    const opened = await personalData.open(userId, command.data.email);
    if (state.erased || !state.registered || opened === undefined) return refuse(REJECTION_REASONS.noAccount);
    const email = normaliseEmail(opened);
    if ((await reservations.opened(userId, state.email)) === email) return refuse(REJECTION_REASONS.sameEmail);
    if ((await reservations.reserve(email, command.data.email, userId, command)) !== userId)
      return refuse(REJECTION_REASONS.emailTaken);
    const requestId = emailChangeRequestId(command.id);
    const requested = follow(
      command,
      'EmailChangeRequested',
      { userId, requestId, email: command.data.email },
      {},
      answerId(command.id, 'EmailChangeRequested'),
    );
    await messageStore.write(stream, requested, version);
    log.info({ requestId }, 'email change requested');
    // The change this one replaces no longer holds its address (unless it is this one's).
    const earlier = await reservations.opened(userId, state.verification.change?.email);
    if (earlier !== undefined && earlier !== email) await reservations.releaseIfLetGo(earlier, userId, command);
  };
}
