import type { Logger } from '../../../logger.ts';
import { follow, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import { identityStreamName, type IdentityCommand } from '../../../contracts/identity.ts';
import { answerId, resentRegistrationEmailId } from '../ids.ts';
import { identityProjection, type Identity } from '../identity.ts';
import { RESEND_REFUSALS, userResendRefusal } from '../welcome-email.ts';

type ResendRegistrationEmail = Recorded<Extract<IdentityCommand, { type: 'ResendRegistrationEmail' }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
}

/**
 * ResendRegistrationEmail: a registered, not erased user gets a new welcome email (its own
 * email id, derived from the command), recorded as RegistrationEmailRequested, which the events
 * subscriber turns into a Send. The user may ask only as userResendRefusal allows, decided at the
 * command's own time so that handling it again decides the same; an admin may ask any time, if
 * they sent the command themselves and their own identity stream says they are one. A refusal is RegistrationEmailResendRefused.
 */
export function createResendRegistrationEmail({
  messageStore,
  logger,
}: Deps): (command: ResendRegistrationEmail) => Promise<void> {
  async function refusalOf(
    user: Identity,
    byAdmin: string | undefined,
    sender: unknown,
    at: Date,
  ): Promise<string | undefined> {
    if (user.erased) return RESEND_REFUSALS.erased;
    if (!user.registered) return RESEND_REFUSALS.notRegistered;
    if (byAdmin === undefined) return userResendRefusal(user.welcome, at)?.reason;
    // The admin named must be the one who sent it: naming a real admin gives no one their say.
    if (sender !== byAdmin) return RESEND_REFUSALS.notAdmin;
    const { state: admin } = await messageStore.project(identityStreamName(byAdmin), identityProjection);
    return admin.admin && !admin.erased ? undefined : RESEND_REFUSALS.notAdmin;
  }

  return async function resendRegistrationEmail(command) {
    const { userId, byAdmin } = command.data;
    const stream = identityStreamName(userId);
    const log = logger.child({ userId, commandId: command.id, byAdmin });
    const { state, version } = await messageStore.project(stream, identityProjection);
    if (state.handled.has(command.globalPosition)) {
      log.debug('ResendRegistrationEmail ignored: already handled');
      return;
    }
    // No stream: nobody registered under this id, and a refusal would be its first event.
    if (version < 0) {
      log.info('ResendRegistrationEmail ignored: no such user');
      return;
    }
    const reason = await refusalOf(state, byAdmin, command.metadata.userId, command.time);
    if (reason !== undefined) {
      await messageStore.write(
        stream,
        follow(
          command,
          'RegistrationEmailResendRefused',
          { userId, reason },
          {},
          answerId(command.id, 'RegistrationEmailResendRefused'),
        ),
        version,
      );
      log.info({ reason }, 'welcome email not sent again');
      return;
    }
    const emailId = resentRegistrationEmailId(command.id);
    const requested = follow(
      command,
      'RegistrationEmailRequested',
      { userId, emailId, byAdmin },
      {},
      answerId(command.id, 'RegistrationEmailRequested'),
    );
    await messageStore.write(stream, requested, version);
    log.info({ emailId }, 'welcome email asked for again');
  };
}
