import type { Logger } from '../../../logger.ts';
import { follow, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { PersonalData } from '../../../personal-data/seal.ts';
import {
  identityHandleStreamName,
  identityStreamName,
  REJECTION_REASONS,
  type IdentityCommand,
} from '../../../contracts/identity.ts';
import { isGeneratedHandle } from '../../../contracts/profile-rules.ts';
import type { Claims } from '../claims.ts';
import { answerId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import { currentProfile, openProfile } from '../profile.ts';

type ChangeProfile = Recorded<Extract<IdentityCommand, { type: 'ChangeProfile' }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly personalData: PersonalData;
  readonly claims: Claims;
}

/**
 * ChangeProfile: the new handle is claimed first (refused if someone holds it, with nothing
 * written to the user), then HandleChanged and DisplayNameChanged go to identity-<userId>, then
 * the old handle is released. Each step is decided against the stream as it is now, so a
 * redelivery after a crash anywhere does what is left and nothing twice: a change already
 * written no longer differs, and the release of the handle given up is found in HandleChanged.
 */
export function createChangeProfile({
  messageStore,
  logger,
  personalData,
  claims,
}: Deps): (command: ChangeProfile) => Promise<void> {
  /** The handle a HandleChanged gave up goes back, unless it is a generated one (never reserved) or the user took it again. */
  async function releaseGivenUp(command: ChangeProfile, previous: string, current: string): Promise<void> {
    if (previous === current || isGeneratedHandle(previous)) return;
    await claims.release('handle', identityHandleStreamName(previous), command.data.userId, command);
  }

  return async function changeProfile(command) {
    const { userId } = command.data;
    const log = logger.child({ userId, commandId: command.id });
    const stream = identityStreamName(userId);
    const { state, version } = await messageStore.project(stream, identityProjection);
    if (state.refused.has(command.globalPosition) || state.erased) {
      log.debug('ChangeProfile ignored: already refused, or the user is erased');
      return;
    }
    const answered = state.handled.has(command.globalPosition);
    const reject = async (reason: string): Promise<void> => {
      await messageStore.write(
        stream,
        follow(command, 'ProfileChangeRejected', { userId, reason }, {}, answerId(command.id, 'ProfileChangeRejected')),
        version,
      );
      log.info({ reason }, 'profile change rejected');
    };
    if (!state.registered) return reject(REJECTION_REASONS.profileNotRegistered);
    const wanted = await openProfile(personalData, userId, command.data);
    const current = await currentProfile(personalData, userId, state);
    if (wanted === undefined || current === undefined) {
      log.info('ChangeProfile ignored: the user was erased before it was handled');
      return;
    }
    if (wanted === 'invalid') return reject(REJECTION_REASONS.invalidProfile);
    // Answered, and the profile changed since by a later command: that one's values stand; only
    // this command's release may be left. Answered and nothing later: a crash came between its
    // writes, and what still differs is what is left of it.
    const superseded = answered && state.lastProfileCause !== command.globalPosition;
    const nameChanges = !superseded && wanted.displayName !== current.displayName;
    const handleChanges = !superseded && wanted.handle !== current.handle;
    if (!nameChanges && !handleChanges && !answered) return reject(REJECTION_REASONS.profileUnchanged);

    let next = version;
    if (handleChanges) {
      const handleStream = identityHandleStreamName(wanted.handle);
      const holder = await claims.claim('handle', handleStream, { handle: command.data.handle, userId }, command);
      if (holder !== userId) return reject(REJECTION_REASONS.handleTaken);
      const previous = await personalData.seal(userId, current.handle);
      await messageStore.write(
        stream,
        follow(
          command,
          'HandleChanged',
          { userId, handle: command.data.handle, previous },
          {},
          answerId(command.id, 'HandleChanged'),
        ),
        next,
      );
      next += 1;
    }
    if (nameChanges) {
      await messageStore.write(
        stream,
        follow(
          command,
          'DisplayNameChanged',
          { userId, displayName: command.data.displayName },
          {},
          answerId(command.id, 'DisplayNameChanged'),
        ),
        next,
      );
    }
    // The handle given up now, or (a redelivery) by this command's HandleChanged, in case a crash came before its release.
    const givenUp = state.handlesGivenUp.get(command.globalPosition);
    const previous = handleChanges ? current.handle : givenUp && (await personalData.open(userId, givenUp));
    if (previous !== undefined) await releaseGivenUp(command, previous, handleChanges ? wanted.handle : current.handle);
    if (nameChanges || handleChanges) log.info({ nameChanges, handleChanges }, 'profile changed');
    else log.debug('ChangeProfile ignored: already handled');
  };
}
