import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { PersonalData } from '../../../personal-data/seal.ts';
import {
  identityEmailStreamName,
  identityHandleStreamName,
  identityRoleChangeStreamName,
  identityStreamName,
  normaliseEmail,
  REJECTION_REASONS,
  type IdentityCommand,
  type RoleChange,
} from '../../../contracts/identity.ts';
import { answerId } from '../ids.ts';
import { identityProjection, type Identity } from '../identity.ts';
import { createReservations, reservationOf } from '../reservation.ts';
import type { AccountLinks } from '../../../account-links/index.ts';
import { createVerifyEmail } from './verify-email.ts';
import { createChangeEmail } from './change-email.ts';
import { createClaims } from '../claims.ts';
import { openProfile } from '../profile.ts';
import { createChangeProfile } from './change-profile.ts';
import { createResendRegistrationEmail } from './resend-registration-email.ts';
import { createPasswordCommandHandlers } from './passwords.ts';

type Command<T extends IdentityCommand['type']> = Recorded<Extract<IdentityCommand, { type: T }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  /** Opens the sealed email of a command or a user's stream. */
  readonly personalData: PersonalData;
  /** Checks account links' token hashes (ResetPassword, VerifyEmail). */
  readonly accountLinks?: AccountLinks | undefined;
}

/**
 * Register, ChangeProfile, GrantAdminRole, RevokeAdminRole, ResendRegistrationEmail, the password commands, VerifyEmail and ChangeEmail. Each handler may run again for the same command
 * (redelivery, a retry after a version conflict, two processes): it first asks whether the
 * command was answered, and every answer has an id derived from the command, so a race past
 * that check still writes nothing new. Writes to a user's stream expect the version that was
 * read: a conflict throws, the subscription retries, and the handler reads and decides again.
 */
export function createCommandHandlers({
  messageStore,
  logger,
  personalData,
  accountLinks,
}: Deps): Required<HandlerMap<IdentityCommand>> {
  // Addresses are held by what their holder's stream says (reservation.ts); handles by their stream alone (claims.ts).
  const reservations = createReservations({ messageStore, personalData });
  const reserve = reservations.reserve;
  const claims = createClaims({ messageStore, personalData });

  async function loadIdentity(userId: string): Promise<{ state: Identity; version: number }> {
    return messageStore.project(identityStreamName(userId), identityProjection);
  }

  /** The user holding `email` now: the last EmailReserved of its stream, unless released since. */
  async function ownerOf(email: string): Promise<string | undefined> {
    return (await reservationOf(messageStore, identityEmailStreamName(email))).holder;
  }

  /**
   * Register: the address is claimed first, then the handle (each written at the version read,
   * so the first writer wins however many race), then Registered. A handle someone else holds
   * refuses the registration and gives the address back (EmailReleased), after the refusal is
   * written: a refused registration's claims count as free anyway (claims.ts), and a crash
   * before the release is mended when the command comes again. A Register from before names
   * carries none: the user gets a generated handle, which needs no claim (profile-rules.ts).
   */
  async function register(command: Command<'Register'>): Promise<void> {
    const { userId, passwordHash } = command.data;
    const log = logger.child({ userId, commandId: command.id });
    const { state, version } = await loadIdentity(userId);
    const answered = state.handled.has(command.globalPosition);
    // A refused registration is final for its user id (another Register for it, say the form posted
    // twice while pending, is ignored): claims and reservations count a refused holder's as free,
    // so one registering later could share its handle or address with whoever took it meanwhile.
    if (state.registered || state.erased || state.rejected || answered) {
      // Refused: the address it claimed goes back, if a crash came between the refusal and the release.
      const refusedEmail = state.rejected && answered ? await personalData.open(userId, command.data.email) : undefined;
      if (refusedEmail !== undefined)
        await claims.release('email', identityEmailStreamName(refusedEmail), userId, command);
      log.debug(
        answered
          ? 'Register ignored: already handled'
          : 'Register ignored: this user id is registered, erased or was refused',
      );
      return;
    }
    const opened = await personalData.open(userId, command.data.email);
    if (opened === undefined) {
      log.info('Register ignored: the user was erased before it was handled');
      return;
    }
    const email = normaliseEmail(opened);
    // A plain (older) command keeps its normalised spelling; a sealed one was normalised before sealing.
    const stored = typeof command.data.email === 'string' ? email : command.data.email;
    const stream = identityStreamName(userId);
    const reject = async (reason: string): Promise<void> => {
      await messageStore.write(
        stream,
        follow(
          command,
          'RegistrationRejected',
          { userId, email: stored, reason },
          {},
          answerId(command.id, 'RegistrationRejected'),
        ),
        version,
      );
      log.info({ reason }, 'registration rejected');
    };
    const { displayName, handle } = command.data;
    const profile =
      displayName && handle ? await openProfile(personalData, userId, { displayName, handle }) : undefined;
    if (profile === 'invalid') return reject(REJECTION_REASONS.invalidProfile);
    if ((await reserve(email, stored, userId, command)) !== userId) {
      return reject(REJECTION_REASONS.emailTaken);
    }
    if (
      profile &&
      handle &&
      (await claims.claim('handle', identityHandleStreamName(profile.handle), { handle, userId }, command)) !== userId
    ) {
      await reject(REJECTION_REASONS.handleTaken);
      await claims.release('email', identityEmailStreamName(email), userId, command);
      return;
    }
    const registered = { userId, email: stored, passwordHash, ...(profile && { displayName, handle }) };
    await messageStore.write(
      stream,
      follow(command, 'Registered', registered, {}, answerId(command.id, 'Registered')),
      version,
    );
    log.info('registered');
  }

  /**
   * Who a role command names, and the address it names them by (normalised), or why it names
   * nobody. A sealed command names its user by id and carries the address sealed with their key:
   * the address must open (the user is not erased) and still be reserved by that user. An older,
   * plain-email command is looked up through the address's reservation.
   */
  async function targetOf(
    data: Command<'GrantAdminRole' | 'RevokeAdminRole'>['data'],
  ): Promise<{ userId: string; email: string } | { rejected: string }> {
    if ('userId' in data) {
      const opened = await personalData.open(data.userId, data.email);
      const email = opened === undefined ? undefined : normaliseEmail(opened);
      if (email === undefined || (await ownerOf(email)) !== data.userId)
        return { rejected: REJECTION_REASONS.notRegistered };
      return { userId: data.userId, email };
    }
    const email = normaliseEmail(data.email);
    const userId = await ownerOf(email);
    return userId === undefined ? { rejected: REJECTION_REASONS.unknownEmail } : { userId, email };
  }

  /**
   * Grants or revokes the admin role of the user the command names, and records the outcome on
   * identityRoleChange-<commandId>, where the sender waits for it. The outcome is written last,
   * so a crash between the two writes is mended on redelivery.
   */
  async function changeAdminRole(
    command: Command<'GrantAdminRole' | 'RevokeAdminRole'>,
    change: RoleChange,
  ): Promise<void> {
    const { commandId, by } = command.data;
    const log = logger.child({ commandId, change });
    const outcomeStream = identityRoleChangeStreamName(commandId);
    if ((await messageStore.streamVersion(outcomeStream)) >= 0) {
      log.debug(`${command.type} ignored: already decided`);
      return;
    }
    // The outcome names the user the way the command did: by id, or (older commands) by plain email.
    const named =
      'userId' in command.data ? { userId: command.data.userId } : { email: normaliseEmail(command.data.email) };
    const reject = async (reason: string): Promise<void> => {
      await messageStore.write(
        outcomeStream,
        follow(
          command,
          'AdminRoleChangeRejected',
          { commandId, ...named, change, reason },
          {},
          answerId(command.id, 'AdminRoleChangeRejected'),
        ),
        -1,
      );
      log.info({ reason }, 'admin role change rejected');
    };
    const target = await targetOf(command.data);
    if ('rejected' in target) return reject(target.rejected);
    const identity = await loadIdentity(target.userId);
    // A reservation whose registration has not landed (or landed for another address after a
    // crash) is no user yet.
    const registeredEmail =
      identity.state.email === undefined ? undefined : await personalData.open(target.userId, identity.state.email);
    if (!identity.state.registered || identity.state.erased || registeredEmail !== target.email) {
      return reject('userId' in named ? REJECTION_REASONS.notRegistered : REJECTION_REASONS.unknownEmail);
    }
    const { userId } = target;
    const { state, version } = identity;
    // Our own role event already in the stream means an earlier attempt stopped before the outcome.
    const ours = state.handled.has(command.globalPosition);
    const alreadyInEffect = !ours && state.admin === (change === 'grant');
    if (!ours && !alreadyInEffect) {
      const type = change === 'grant' ? 'AdminRoleGranted' : 'AdminRoleRevoked';
      await messageStore.write(
        identityStreamName(userId),
        follow(command, type, { userId, by }, {}, answerId(command.id, type)),
        version,
      );
    }
    const completed = { commandId, ...named, userId, change, alreadyInEffect };
    await messageStore.write(
      outcomeStream,
      follow(command, 'AdminRoleChangeCompleted', completed, {}, answerId(command.id, 'AdminRoleChangeCompleted')),
      -1,
    );
    log.info({ userId, alreadyInEffect }, 'admin role change completed');
  }

  return {
    Register: register,
    GrantAdminRole: (command) => changeAdminRole(command, 'grant'),
    RevokeAdminRole: (command) => changeAdminRole(command, 'revoke'),
    ResendRegistrationEmail: createResendRegistrationEmail({ messageStore, logger }),
    ...createPasswordCommandHandlers({ messageStore, logger, personalData, accountLinks }),
    VerifyEmail: createVerifyEmail({ messageStore, logger, reservations, accountLinks }),
    ChangeEmail: createChangeEmail({ messageStore, logger, personalData, reservations }),
    ChangeProfile: createChangeProfile({ messageStore, logger, personalData, claims }),
  };
}
