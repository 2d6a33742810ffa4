import type { AccountLinks } from '../../../account-links/index.ts';
import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { PersonalData } from '../../../personal-data/seal.ts';
import { identityStreamName, PASSWORD_RESET_REFUSALS, type IdentityCommand } from '../../../contracts/identity.ts';
import { answerId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import { resetLinkRefusal } from '../password-resets.ts';

type Command<T extends IdentityCommand['type']> = Recorded<Extract<IdentityCommand, { type: T }>>;
type PasswordCommand = Extract<IdentityCommand, { type: 'RequestPasswordReset' | 'ResetPassword' | 'ChangePassword' }>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly personalData: PersonalData;
  /** Checks a reset link's token hash. Without it (a tool built without the cookie key) ResetPassword throws and is parked. */
  readonly accountLinks?: AccountLinks | undefined;
}

/**
 * RequestPasswordReset, ResetPassword and ChangePassword, each in Eventide's moves: read the
 * user's stream with its version, ignore a command answered already, decide, write one answer
 * (its id derived from the command's) at the version read.
 */
export function createPasswordCommandHandlers({
  messageStore,
  logger,
  personalData,
  accountLinks,
}: Deps): Required<HandlerMap<PasswordCommand>> {
  const load = (userId: string) => messageStore.project(identityStreamName(userId), identityProjection);

  return {
    async RequestPasswordReset(command: Command<'RequestPasswordReset'>) {
      const { userId, requestId } = command.data;
      const log = logger.child({ userId, requestId, commandId: command.id });
      const { state, version } = await load(userId);
      if (state.handled.has(command.globalPosition)) return log.debug('RequestPasswordReset ignored: already handled');
      // The web app asks only for an account it found; one erased since gets no email, and the
      // person asking was told the same either way.
      if (!state.registered || state.erased || (await personalData.isErased(userId)))
        return log.info('RequestPasswordReset ignored: no such account now');
      const event = follow(
        command,
        'PasswordResetRequested',
        { userId, requestId },
        {},
        answerId(command.id, 'PasswordResetRequested'),
      );
      await messageStore.write(identityStreamName(userId), event, version);
      log.info('password reset requested');
    },

    async ResetPassword(command: Command<'ResetPassword'>) {
      const { userId, requestId, tokenHash, passwordHash } = command.data;
      const log = logger.child({ userId, requestId, commandId: command.id });
      if (!accountLinks)
        throw new Error(
          'ResetPassword cannot be decided here: this process has no account-link key (the cookie key) to check its token',
        );
      const { state, version } = await load(userId);
      if (state.handled.has(command.globalPosition)) return log.debug('ResetPassword ignored: already handled');
      // The token first: a link that is not ours learns nothing about the account it names.
      // The command's time decides expiry, so a redelivery decides as the first delivery did.
      const reason = !accountLinks.matches('password-reset', requestId, tokenHash)
        ? PASSWORD_RESET_REFUSALS.unknown
        : resetLinkRefusal(
            { resets: state.resets, erased: state.erased || (await personalData.isErased(userId)) },
            requestId,
            command.time,
          );
      const stream = identityStreamName(userId);
      if (reason !== undefined) {
        await messageStore.write(
          stream,
          follow(
            command,
            'PasswordResetRefused',
            { userId, requestId, reason },
            {},
            answerId(command.id, 'PasswordResetRefused'),
          ),
          version,
        );
        return log.info({ reason }, 'password reset refused');
      }
      await messageStore.write(
        stream,
        follow(
          command,
          'PasswordChanged',
          { userId, passwordHash, how: 'reset' as const, requestId },
          {},
          answerId(command.id, 'PasswordChanged'),
        ),
        version,
      );
      log.info('password reset');
    },

    async ChangePassword(command: Command<'ChangePassword'>) {
      const { userId, passwordHash } = command.data;
      const log = logger.child({ userId, commandId: command.id });
      const { state, version } = await load(userId);
      if (state.handled.has(command.globalPosition)) return log.debug('ChangePassword ignored: already handled');
      // Only a logged-in user can ask, and an erased one is logged out: nobody waits for an answer.
      if (!state.registered || state.erased || (await personalData.isErased(userId)))
        return log.info('ChangePassword ignored: no such account now');
      await messageStore.write(
        identityStreamName(userId),
        follow(
          command,
          'PasswordChanged',
          { userId, passwordHash, how: 'changed' as const },
          {},
          answerId(command.id, 'PasswordChanged'),
        ),
        version,
      );
      log.info('password changed');
    },
  };
}
