import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINK_PLACEHOLDER } from '../../account-links/index.ts';
import { templates } from '../../templates/load.ts';

const TEMPLATES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const SUBJECT = 'Welcome to Video Tutorials';
const CHANGE_SUBJECT = 'Confirm your new email address';
const NOTICE_SUBJECT = 'Someone asked to change your account’s email address';

export interface RegistrationEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** An email of `templates/<name>/{text,html}.pug`, compiled once. */
function emailOf(name: string, subject: string, locals: Readonly<Record<string, unknown>>): () => RegistrationEmail {
  const text = templates.template(path.join(TEMPLATES, name, 'text.pug'));
  const html = templates.template(path.join(TEMPLATES, name, 'html.pug'));
  const all = { ...locals, subject, verifyLink: LINK_PLACEHOLDER };
  return () => ({ subject, text: text(all), html: html(all) });
}

/**
 * Compiles the templates once; the returned function renders the welcome email (which names no
 * address). Its verification link is LINK_PLACEHOLDER: send-email signs it in at delivery.
 */
export function createRegistrationEmail(siteUrl: string): () => RegistrationEmail {
  return emailOf('registration-email', SUBJECT, {
    logInUrl: siteUrlOf(siteUrl, 'auth/log-in'),
    homeUrl: siteUrlOf(siteUrl, ''),
  });
}

/** An email change's two emails: the link to the new address, and the notice to the current one (neither names an address). */
export function createEmailChangeEmails(siteUrl: string): {
  verification: () => RegistrationEmail;
  notice: () => RegistrationEmail;
} {
  const locals = { logInUrl: siteUrlOf(siteUrl, 'auth/log-in'), accountUrl: siteUrlOf(siteUrl, 'account/email') };
  return {
    verification: emailOf('email-change-verification', CHANGE_SUBJECT, locals),
    notice: emailOf('email-change-notice', NOTICE_SUBJECT, locals),
  };
}

/** The verification page's prefix for a user's links (`<siteUrl>/account/verify/<userId>/`): send-email appends the token. */
export function verifyLinkUrl(siteUrl: string, userId: string): string {
  return siteUrlOf(siteUrl, `account/verify/${userId}/`);
}

/** `<siteUrl>/<page>` (`auth/log-in`, or '' for the home page), keeping any path the site is served under (https://example.com/tutorials). */
export function siteUrlOf(siteUrl: string, page: string): string {
  let url: URL;
  try {
    url = new URL(siteUrl);
  } catch {
    throw new Error(`siteUrl must be an absolute http(s) URL, not ${JSON.stringify(siteUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`siteUrl must be an http(s) URL, not ${JSON.stringify(siteUrl)}`);
  // (?<!\/): a run of slashes is tried once, from its first, not again from each of the others.
  url.pathname = `${url.pathname.replace(/(?<!\/)\/+$/, '')}/${page}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
