import type { Logger } from '../../../logger.ts';
import { follow, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { AccountLinks } from '../../../account-links/index.ts';
import { identityStreamName, VERIFICATION_REFUSALS, type IdentityCommand } from '../../../contracts/identity.ts';
import { answerId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import type { Reservations } from '../reservation.ts';
import { requestNamed } from '../verification.ts';

type VerifyEmail = Recorded<Extract<IdentityCommand, { type: 'VerifyEmail' }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly reservations: Reservations;
  readonly accountLinks: AccountLinks | undefined;
}

/**
 * VerifyEmail: the link's token hash must be the request's (accountLinks.matches), and the user's
 * stream must say the request is their latest of its kind, unused, and younger than the link's
 * lifetime at the command's time (so handling it again decides the same). A welcome email's link
 * gives EmailVerified; an email change's gives EmailChanged (if the new address is still theirs)
 * and releases the old address. Anything else is EmailVerificationRefused with the reason.
 */
export function createVerifyEmail({
  messageStore,
  logger,
  reservations,
  accountLinks,
}: Deps): (command: VerifyEmail) => Promise<void> {
  return async function verifyEmail(command) {
    const { userId, requestId, tokenHash } = command.data;
    const stream = identityStreamName(userId);
    const log = logger.child({ userId, requestId, commandId: command.id });
    const { state, version } = await messageStore.project(stream, identityProjection);
    if (state.handled.has(command.globalPosition)) {
      log.debug('VerifyEmail ignored: already handled');
      return;
    }
    // No stream: nobody registered under this id (the page checks first), and a refusal would be its first event.
    if (version < 0) {
      log.info('VerifyEmail ignored: no such user');
      return;
    }
    const refuse = async (reason: string): Promise<void> => {
      const refused = follow(
        command,
        'EmailVerificationRefused',
        { userId, requestId, reason },
        {},
        answerId(command.id, 'EmailVerificationRefused'),
      );
      await messageStore.write(stream, refused, version);
      log.info({ reason }, 'email verification refused');
    };
    if (state.erased || !state.registered) return refuse(VERIFICATION_REFUSALS.noAccount);
    // A process that cannot check links (the admin CLI without COOKIE_SECRET) must not refuse a
    // good one: it throws, and the message is retried and parked for the app to replay.
    if (!accountLinks)
      throw new Error(
        `VerifyEmail ${command.id} needs the account links' key to be checked; this process was started without it`,
      );
    if (!accountLinks.matches('verify-email', requestId, tokenHash)) return refuse(VERIFICATION_REFUSALS.invalid);
    const named = requestNamed(state.verification, requestId, command.time);
    if ('refused' in named) return refuse(named.refused);
    if (named.kind === 'welcome') {
      await messageStore.write(
        stream,
        follow(command, 'EmailVerified', { userId, requestId }, {}, answerId(command.id, 'EmailVerified')),
        version,
      );
      log.info('email verified');
      return;
    }
    const email = await reservations.opened(userId, named.request.email);
    if (email === undefined || state.email === undefined) return refuse(VERIFICATION_REFUSALS.noAccount);
    if (!(await reservations.stillHolds(userId, email, command.time))) return refuse(VERIFICATION_REFUSALS.taken);
    const changed = follow(
      command,
      'EmailChanged',
      { userId, requestId, email: named.request.email, previousEmail: state.email },
      {},
      answerId(command.id, 'EmailChanged'),
    );
    await messageStore.write(stream, changed, version);
    log.info('email changed');
    // A crash before this leaves the old reservation to the rule in reservation.ts: no longer held.
    const previous = await reservations.opened(userId, state.email);
    if (previous !== undefined) await reservations.releaseIfLetGo(previous, userId, command);
  };
}
