import { CookieJar } from './cookie-jar.ts';
import { recordViewingForm, type PageForm } from './page-form.ts';
import type { Target } from './target.ts';

/**
 * Every request comes as through a TLS-terminating proxy: an app in production mode may refuse
 * to set a Secure session cookie over plain http otherwise. An app that ignores it loses nothing.
 */
export const VIA_PROXY: Readonly<Record<string, string>> = { 'x-forwarded-proto': 'https' };

/** The home page's count, read as a visitor reads it. */
export async function pageCount(target: Target): Promise<number> {
  const page = await fetch(`${target.url}/`, { headers: VIA_PROXY });
  const html = await page.text();
  const count = target.countOf(html);
  if (count === undefined) {
    throw new Error(`no "videos watched" count on ${target.name}'s home page (HTTP ${page.status}); set BENCH_TARGET_COUNT_PATTERN to a pattern whose first group is the number`);
  }
  return count;
}

/** What a browser sends to record a viewing, once it holds the site's session. */
export interface Submission {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function submissionOf(target: Target, form: PageForm, jar: CookieJar): Submission {
  const cookie = jar.header();
  return {
    url: form.action,
    headers: { ...VIA_PROXY, origin: target.url, 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(form.fields).toString(),
  };
}

async function visit(url: string, jar: CookieJar): Promise<PageForm | undefined> {
  const cookie = jar.header();
  const page = await fetch(url, { headers: { ...VIA_PROXY, ...(cookie ? { cookie } : {}) } });
  jar.take(page.headers.getSetCookie());
  return recordViewingForm(await page.text(), url);
}

async function homeForm(target: Target, jar: CookieJar): Promise<PageForm> {
  const form = await visit(`${target.url}/`, jar);
  if (!form) throw new Error(`no record-viewing form (a POST form) on ${target.name}'s home page`);
  return form;
}

/** Posts once; the status, with the redirect left unfollowed. */
export async function submit(submission: Submission): Promise<number> {
  const posted = await fetch(submission.url, { method: 'POST', headers: submission.headers, body: submission.body, redirect: 'manual' });
  await posted.arrayBuffer();
  return posted.status;
}

/**
 * Becomes a returning visitor: loads the home page, records one viewing, follows the redirect,
 * and keeps whatever session and CSRF token the site hands out on the way. A site that gives
 * neither is posted to as it is.
 */
export async function returningVisitor(target: Target): Promise<Submission> {
  const jar = new CookieJar();
  const first = submissionOf(target, await homeForm(target, jar), jar);
  const posted = await fetch(first.url, { method: 'POST', headers: first.headers, body: first.body, redirect: 'manual' });
  await posted.arrayBuffer();
  if (posted.status >= 400) throw new Error(`${target.name} refused a viewing posted from its own page: HTTP ${posted.status}`);
  jar.take(posted.headers.getSetCookie());
  // The page the site sends us back to may show the form with a fresh token; else the home page does.
  const next = new URL(posted.headers.get('location') ?? '/', first.url).toString();
  return submissionOf(target, (await visit(next, jar)) ?? (await homeForm(target, jar)), jar);
}
