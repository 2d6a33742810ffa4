import { authenticationSchemas, authenticationStreamName } from '../contracts/authentication.ts';
import { ADMIN_ROLE, identityEventSchemas, identityStreamName } from '../contracts/identity.ts';
import { ERASED, SEALED } from '../personal-data/seal.ts';
import { parseMessage } from '../contracts/parse.ts';
import { type RawMessage } from '../message-store/index.ts';
import { maskEmail, redactText } from '../personal-data/redact.ts';
import { foldReadable, utc, type EntityKind, type EntityState } from './entity.ts';

interface User {
  readonly registered: boolean;
  readonly email: string | undefined;
  readonly registeredAt: Date | undefined;
  readonly rejected: string | undefined;
  readonly welcomeEmail: string;
  readonly admin: boolean;
  readonly logIns: number;
  readonly failedLogIns: number;
  readonly lastLogIn: Date | undefined;
  readonly lastLogOut: Date | undefined;
}

const initial: User = {
  registered: false,
  email: undefined,
  registeredAt: undefined,
  rejected: undefined,
  welcomeEmail: 'not sent',
  admin: false,
  logIns: 0,
  failedLogIns: 0,
  lastLogIn: undefined,
  lastLogOut: undefined,
};

function apply(user: User, message: RawMessage): User {
  const identity = parseMessage(identityEventSchemas, message);
  if (identity) {
    switch (identity.type) {
      case 'Registered':
        // A sealed email is not opened here: the as-of view folds without the key store.
        return {
          ...user,
          registered: true,
          email: typeof identity.data.email === 'string' ? identity.data.email : SEALED,
          registeredAt: identity.time,
        };
      case 'EmailChanged':
        return { ...user, email: typeof identity.data.email === 'string' ? identity.data.email : SEALED };
      case 'UserErased':
        return { ...user, email: ERASED };
      case 'RegistrationRejected':
        return { ...user, rejected: identity.data.reason };
      case 'RegistrationEmailSent':
        return { ...user, welcomeEmail: `sent ${utc(identity.time)}` };
      case 'RegistrationEmailFailed':
        return { ...user, welcomeEmail: `failed: ${identity.data.reason}` };
      case 'RegistrationEmailDeferred':
        return { ...user, welcomeEmail: `retrying (${identity.data.attempts} failed so far): ${identity.data.reason}` };
      case 'RegistrationEmailRequested':
        return {
          ...user,
          welcomeEmail: `asked for again ${utc(identity.time)}${identity.data.byAdmin ? ' by an admin' : ''}`,
        };
      case 'AdminRoleGranted':
        return { ...user, admin: true };
      case 'AdminRoleRevoked':
        return { ...user, admin: false };
      case 'RegistrationEmailResendRefused':
      case 'PasswordResetRequested':
      case 'PasswordResetRefused':
      case 'PasswordChanged':
      case 'EmailChangeRequested':
      case 'EmailChangeRefused':
      case 'EmailVerified':
      case 'EmailVerificationRefused':
      case 'DisplayNameChanged':
      case 'HandleChanged':
      case 'ProfileChangeRejected':
        // Nothing this view shows: a refused resend sent nothing, and a password is never shown.
        return user;
    }
  }
  const authentication = parseMessage(authenticationSchemas, message);
  switch (authentication?.type) {
    case 'UserLoggedIn':
      return { ...user, logIns: user.logIns + 1, lastLogIn: authentication.time };
    case 'UserLoginFailed':
      return { ...user, failedLogIns: user.failedLogIns + 1 };
    case 'UserLoggedOut':
      return { ...user, lastLogOut: authentication.time };
    case undefined:
      return user;
  }
}

/** A plain (older) address masked as on every admin page; the placeholders as they are, so sealed and erased can be told apart. */
function emailLabel(email: string | undefined): string {
  if (email === undefined) return '—';
  return email === SEALED || email === ERASED ? email : maskEmail(email);
}

/** A user as identity-<id> and authentication-<id> tell it; the email masked as on every admin page. */
export const userKind: EntityKind = {
  kind: 'user',
  label: 'User',
  streams: (id) => [identityStreamName(id), authenticationStreamName(id)],
  fold(messages): EntityState {
    const { state: user, unreadable } = foldReadable(initial, apply, messages);
    return {
      exists: messages.length > 0,
      unreadable,
      fields: [
        {
          label: 'Registered',
          value: user.registered
            ? `yes, ${utc(user.registeredAt!)}`
            : user.rejected
              ? `no: ${redactText(user.rejected)}`
              : 'not yet',
        },
        { label: 'Email', value: emailLabel(user.email) },
        // A reason from before send-email kept addresses out of it may still name the recipient.
        { label: 'Welcome email', value: redactText(user.welcomeEmail) },
        { label: 'Roles', value: user.admin ? ADMIN_ROLE : 'none' },
        { label: 'Log-ins', value: String(user.logIns) },
        { label: 'Failed log-ins', value: String(user.failedLogIns) },
        { label: 'Last log-in', value: user.lastLogIn ? utc(user.lastLogIn) : '—' },
        { label: 'Last log-out', value: user.lastLogOut ? utc(user.lastLogOut) : '—' },
      ],
    };
  },
};
