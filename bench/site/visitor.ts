import { visitorAddress } from '../../test/helpers/browser.ts';
import { CookieJar } from './cookie-jar.ts';
import { recordViewingForm, type PageForm } from './page-form.ts';
import type { Target } from './target.ts';

/**
 * Every request comes as through a TLS-terminating proxy: an app in production mode may refuse
 * to set a Secure session cookie over plain http otherwise. An app that ignores it loses nothing.
 */
export const VIA_PROXY: Readonly<Record<string, string>> = { 'x-forwarded-proto': 'https' };

let visitors = 0;

/**
 * Another simulated visitor: the address the proxy says a request came from (X-Forwarded-For),
 * a new one from 198.18.0.0/15 each time. A site that counts a visitor's viewing once in a while
 * and limits viewings per address (ours does, with TRUST_PROXY set) then sees many visitors, as
 * it would in production, instead of one script it must refuse; a site that ignores the header
 * loses nothing.
 */
export function anotherVisitor(): Record<string, string> {
  visitors += 1;
  return { 'x-forwarded-for': visitorAddress(visitors) };
}

/** The home page's count, read as a visitor reads it. */
export async function pageCount(target: Target): Promise<number> {
  const page = await fetch(`${target.url}/`, { headers: VIA_PROXY });
  const html = await page.text();
  const count = target.countOf(html);
  if (count === undefined) {
    throw new Error(
      `no "videos watched" count on ${target.name}'s home page (HTTP ${page.status}); set BENCH_TARGET_COUNT_PATTERN to a pattern whose first group is the number`,
    );
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
    headers: {
      ...VIA_PROXY,
      origin: target.url,
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(form.fields).toString(),
  };
}

async function visit(url: string, jar: CookieJar): Promise<PageForm | undefined> {
  const cookie = jar.header();
  const page = await fetch(url, { headers: { ...VIA_PROXY, ...(cookie ? { cookie } : {}) } });
  jar.take(page.headers.getSetCookie());
  return recordViewingForm(await page.text(), url);
}

/** The first page the home page links to under /videos/ (a video's watch page), if any. */
async function firstVideoPage(target: Target, jar: CookieJar): Promise<string | undefined> {
  const cookie = jar.header();
  const home = await fetch(`${target.url}/`, { headers: { ...VIA_PROXY, ...(cookie ? { cookie } : {}) } });
  const href = /href="(\/videos\/[^"/?#]+)"/.exec(await home.text())?.[1];
  return href === undefined ? undefined : new URL(href, `${target.url}/`).toString();
}

/**
 * The form a visitor records a viewing with: on the home page (the book's app has it there), or
 * else on the first video's page it links to (ours: viewings are of published videos only).
 */
async function viewingForm(target: Target, jar: CookieJar): Promise<PageForm> {
  const onHome = await visit(`${target.url}/`, jar);
  if (onHome?.action.includes('record-viewing')) return onHome;
  const videoPage = await firstVideoPage(target, jar);
  const onVideo = videoPage === undefined ? undefined : await visit(videoPage, jar);
  const form = onVideo ?? onHome;
  if (!form)
    throw new Error(
      `no record-viewing form (a POST form) on ${target.name}'s home page or the first video page it links to`,
    );
  return form;
}

/** Posts once, as another visitor; the status, with the redirect left unfollowed. */
export async function submit(submission: Submission): Promise<number> {
  const posted = await fetch(submission.url, {
    method: 'POST',
    headers: { ...submission.headers, ...anotherVisitor() },
    body: submission.body,
    redirect: 'manual',
  });
  await posted.arrayBuffer();
  return posted.status;
}

/**
 * Becomes a returning visitor: finds the viewing form (viewingForm), records one viewing, follows
 * the redirect, and keeps whatever session and CSRF token the site hands out on the way. A site
 * that gives neither is posted to as it is.
 */
export async function returningVisitor(target: Target): Promise<Submission> {
  const jar = new CookieJar();
  const first = submissionOf(target, await viewingForm(target, jar), jar);
  const posted = await fetch(first.url, {
    method: 'POST',
    headers: { ...first.headers, ...anotherVisitor() },
    body: first.body,
    redirect: 'manual',
  });
  await posted.arrayBuffer();
  if (posted.status >= 400)
    throw new Error(`${target.name} refused a viewing posted from its own page: HTTP ${posted.status}`);
  jar.take(posted.headers.getSetCookie());
  // The page the site sends us back to may show the form with a fresh token; else we look again.
  const next = new URL(posted.headers.get('location') ?? '/', first.url).toString();
  const again = await visit(next, jar);
  return submissionOf(target, again?.action.includes('record-viewing') ? again : await viewingForm(target, jar), jar);
}
