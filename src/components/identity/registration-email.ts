import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TEMPLATES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates', 'registration-email');
const SUBJECT = 'Welcome to Video Tutorials';

type Template = (locals: Readonly<Record<string, unknown>>) => string;
// pug ships no types (and @types/pug is not a dependency); this is the one function used.
const pug = createRequire(import.meta.url)('pug') as { compileFile(file: string): Template };

export interface RegistrationEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Compiles the templates once; the returned function renders the welcome email (which names no address). */
export function createRegistrationEmail(siteUrl: string): () => RegistrationEmail {
  const logInUrl = siteUrlOf(siteUrl, 'auth/log-in');
  const homeUrl = siteUrlOf(siteUrl, '');
  const text = pug.compileFile(path.join(TEMPLATES_DIR, 'text.pug'));
  const html = pug.compileFile(path.join(TEMPLATES_DIR, 'html.pug'));
  return () => {
    const locals = { logInUrl, homeUrl, subject: SUBJECT };
    return { subject: SUBJECT, text: text(locals), html: html(locals) };
  };
}

/** `<siteUrl>/<page>` (`auth/log-in`, or '' for the home page), keeping any path the site is served under (https://example.com/tutorials). */
export function siteUrlOf(siteUrl: string, page: string): string {
  let url: URL;
  try {
    url = new URL(siteUrl);
  } catch {
    throw new Error(`siteUrl must be an absolute http(s) URL, not ${JSON.stringify(siteUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`siteUrl must be an http(s) URL, not ${JSON.stringify(siteUrl)}`);
  // (?<!\/): a run of slashes is tried once, from its first, not again from each of the others.
  url.pathname = `${url.pathname.replace(/(?<!\/)\/+$/, '')}/${page}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
