import type { Logger } from '../../../logger.ts';
import {
  follow,
  parseMessage,
  VersionConflictError,
  type HandlerMap,
  type MessageStore,
  type Recorded,
} from '../../../message-store/index.ts';
import {
  identityEmailSchemas,
  identityEmailStreamName,
  identityRoleChangeStreamName,
  identityStreamName,
  normaliseEmail,
  REJECTION_REASONS,
  type IdentityCommand,
  type RoleChange,
} from '../contract.ts';
import { answerId } from '../ids.ts';
import { identityProjection, type Identity } from '../identity.ts';

type Command<T extends IdentityCommand['type']> = Recorded<Extract<IdentityCommand, { type: T }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
}

/**
 * Register, GrantAdminRole and RevokeAdminRole. Each handler may run again for the same command
 * (redelivery, a retry after a version conflict, two processes): it first asks whether the
 * command was answered, and every answer has an id derived from the command, so a race past
 * that check still writes nothing new. Writes to a user's stream expect the version that was
 * read: a conflict throws, the subscription retries, and the handler reads and decides again.
 */
export function createCommandHandlers({ messageStore, logger }: Deps): Required<HandlerMap<IdentityCommand>> {
  async function loadIdentity(userId: string): Promise<{ state: Identity; version: number }> {
    return messageStore.project(identityStreamName(userId), identityProjection);
  }

  /** The user holding `email`, from the first message of its reservation stream. */
  async function ownerOf(email: string): Promise<string | undefined> {
    const [first] = await messageStore.readStream(identityEmailStreamName(email), { batchSize: 1 });
    if (!first) return undefined;
    const reservation = parseMessage(identityEmailSchemas, first);
    if (!reservation) throw new Error(`${first.streamName} starts with ${first.type}, not EmailReserved`);
    return reservation.data.userId;
  }

  /**
   * Claims `email` for `userId`, or names who holds it. Expected version −1 makes the first
   * writer win however many registrations race for the address; a user finding its own
   * reservation (the same command again, or the form posted twice) goes on.
   */
  async function reserve(email: string, userId: string, command: Command<'Register'>): Promise<string> {
    const reservation = follow(command, 'EmailReserved', { email, userId }, {}, answerId(command.id, 'EmailReserved'));
    try {
      await messageStore.write(identityEmailStreamName(email), reservation, -1);
      return userId;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
    const owner = await ownerOf(email);
    if (owner === undefined) throw new Error('the email reservation stream conflicted but reads empty');
    return owner;
  }

  async function register(command: Command<'Register'>): Promise<void> {
    const { userId, passwordHash } = command.data;
    const email = normaliseEmail(command.data.email);
    const log = logger.child({ userId, commandId: command.id });
    const { state, version } = await loadIdentity(userId);
    if (state.registered || state.handled.has(command.globalPosition)) {
      log.debug('Register ignored: already handled');
      return;
    }
    const owner = await reserve(email, userId, command);
    const stream = identityStreamName(userId);
    if (owner !== userId) {
      const reason = REJECTION_REASONS.emailTaken;
      await messageStore.write(stream, follow(command, 'RegistrationRejected', { userId, email, reason }, {}, answerId(command.id, 'RegistrationRejected')), version);
      log.info({ reason }, 'registration rejected');
      return;
    }
    await messageStore.write(stream, follow(command, 'Registered', { userId, email, passwordHash }, {}, answerId(command.id, 'Registered')), version);
    log.info('registered');
  }

  /**
   * Grants or revokes the admin role of the user registered with the command's email, and
   * records the outcome on identityRoleChange-<commandId>, where the sender waits for it.
   * The outcome is written last, so a crash between the two writes is mended on redelivery.
   */
  async function changeAdminRole(command: Command<'GrantAdminRole' | 'RevokeAdminRole'>, change: RoleChange): Promise<void> {
    const { commandId, by } = command.data;
    const email = normaliseEmail(command.data.email);
    const log = logger.child({ commandId, change });
    const outcomeStream = identityRoleChangeStreamName(commandId);
    if ((await messageStore.streamVersion(outcomeStream)) >= 0) {
      log.debug(`${command.type} ignored: already decided`);
      return;
    }
    const userId = await ownerOf(email);
    const identity = userId === undefined ? undefined : await loadIdentity(userId);
    // A reservation whose registration has not landed (or landed for another address after a
    // crash) is no user yet.
    if (userId === undefined || !identity?.state.registered || identity.state.email !== email) {
      const reason = REJECTION_REASONS.unknownEmail;
      await messageStore.write(outcomeStream, follow(command, 'AdminRoleChangeRejected', { commandId, email, change, reason }, {}, answerId(command.id, 'AdminRoleChangeRejected')), -1);
      log.info({ reason }, 'admin role change rejected');
      return;
    }
    const { state, version } = identity;
    // Our own role event already in the stream means an earlier attempt stopped before the outcome.
    const ours = state.handled.has(command.globalPosition);
    const alreadyInEffect = !ours && state.admin === (change === 'grant');
    if (!ours && !alreadyInEffect) {
      const type = change === 'grant' ? 'AdminRoleGranted' : 'AdminRoleRevoked';
      await messageStore.write(identityStreamName(userId), follow(command, type, { userId, by }, {}, answerId(command.id, type)), version);
    }
    const completed = { commandId, userId, email, change, alreadyInEffect };
    await messageStore.write(outcomeStream, follow(command, 'AdminRoleChangeCompleted', completed, {}, answerId(command.id, 'AdminRoleChangeCompleted')), -1);
    log.info({ userId, alreadyInEffect }, 'admin role change completed');
  }

  return {
    Register: register,
    GrantAdminRole: (command) => changeAdminRole(command, 'grant'),
    RevokeAdminRole: (command) => changeAdminRole(command, 'revoke'),
  };
}
