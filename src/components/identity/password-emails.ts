import { LINK_PLACEHOLDER } from '../../account-links/index.ts';
import { siteUrlOf } from './registration-email.ts';

export interface PasswordEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

// Fixed words and a date: nothing a user typed, so the HTML needs no escaping beyond the URL's.
const html = (paragraphs: readonly string[]): string => paragraphs.map((paragraph) => `<p>${paragraph}</p>`).join('\n');
const escapeHtml = (value: string): string =>
  value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** "6 December 2026 at 14:26 UTC": one spelling, whatever the server's locale. */
function whenWords(at: Date): string {
  const date = at.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const time = at.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  return `${date} at ${time} UTC`;
}

/**
 * The two emails about a password: the reset link (send-email puts the signed link at
 * LINK_PLACEHOLDER) and the notice that it was changed, which carries no link: someone who did
 * not change it is told where to go, not given a button an imitation could copy.
 */
export function createPasswordEmails(siteUrl: string) {
  const logInUrl = siteUrlOf(siteUrl, 'auth/log-in');
  return {
    resetUrl: siteUrlOf(siteUrl, 'auth/reset/'),
    reset(): PasswordEmail {
      const lines = [
        'Someone, we hope you, asked to reset the password of your Video Tutorials account.',
        'To choose a new password, open this link within an hour:',
        LINK_PLACEHOLDER,
        'The link works once, and only until you ask for another one. If you did not ask, ignore this email: your password stays as it is.',
      ];
      return {
        subject: 'Reset your Video Tutorials password',
        text: `${lines.join('\n\n')}\n`,
        html: html([lines[0]!, lines[1]!, `<a href="${LINK_PLACEHOLDER}">Choose a new password</a>`, lines[3]!]),
      };
    },
    changed(how: 'reset' | 'changed', at: Date): PasswordEmail {
      const by = how === 'reset' ? 'with a reset link sent to this address' : 'on your account page';
      const others =
        how === 'reset'
          ? 'Every browser that was logged in to your account has been logged out.'
          : 'Every other browser that was logged in to your account has been logged out.';
      const lines = [
        `The password of your Video Tutorials account was changed on ${whenWords(at)}, ${by}.`,
        others,
        `If you did not change it, go to the log-in page (${logInUrl}), choose "Forgot your password?" and set a new one at once.`,
      ];
      return {
        subject: 'Your Video Tutorials password was changed',
        text: `${lines.join('\n\n')}\n`,
        html: html(lines.map(escapeHtml)),
      };
    },
  };
}

export type PasswordEmails = ReturnType<typeof createPasswordEmails>;
