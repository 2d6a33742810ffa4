import type { SessionSummary } from '../authenticate/sessions.ts';
import type { AccountRow } from './queries.ts';

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const shown = (date: Date) => ({ text: `${dateTime.format(date)} UTC`, iso: date.toISOString() });

/** The account page's view model: what the user's own rows say, and their live log-ins. */
export function accountView(account: AccountRow, sessions: readonly SessionSummary[]) {
  return {
    email: account.email,
    emailVerified: account.emailVerified,
    displayName: account.displayName,
    handle: account.handle,
    registeredAt: shown(account.registeredAt),
    sessions: sessions.map((session) => ({
      loggedInAt: shown(session.loggedInAt),
      endsAt: shown(session.expiresAt),
      current: session.current,
    })),
  };
}
