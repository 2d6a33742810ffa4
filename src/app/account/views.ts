import type { SessionSummary } from '../authenticate/sessions.ts';
import type { OwnedElsewhere } from './profile.ts';
import type { AccountRow } from './queries.ts';

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const shown = (date: Date) => ({ text: `${dateTime.format(date)} UTC`, iso: date.toISOString() });

/** The account page's view model: what the user's own row says, and what other parts own (undefined until wired). */
export function accountView(account: AccountRow, profile: OwnedElsewhere, sessions: readonly SessionSummary[]) {
  return {
    email: account.email,
    emailVerified: profile.emailVerified,
    displayName: profile.displayName,
    handle: profile.handle,
    registeredAt: shown(account.registeredAt),
    sessions: sessions.map((session) => ({ loggedInAt: shown(session.loggedInAt), endsAt: shown(session.expiresAt), current: session.current })),
  };
}
