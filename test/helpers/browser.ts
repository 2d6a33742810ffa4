/** A page's form as a browser holds it: where it posts, its hidden fields, and the session cookie. */
export interface PageForm {
  readonly action: string;
  readonly fields: Record<string, string>;
  readonly cookie: string;
}

/** The viewing form of a video's watch page (the video must be published). */
export async function watchForm(
  base: string,
  videoId: string,
  headers: Record<string, string> = {},
): Promise<PageForm> {
  const page = await fetch(`${base}/videos/${videoId}`, { headers });
  const html = await page.text();
  const action = /<form\b[^>]*\baction="(\/record-viewing\/[^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || action === undefined)
    throw new Error(`no viewing form on the watch page of ${videoId} (HTTP ${page.status})`);
  return {
    cookie: page.headers
      .getSetCookie()
      .map((value) => value.split(';')[0])
      .join('; '),
    fields: Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]),
    ),
    action,
  };
}

/**
 * Posts the form as a browser would from the site's own page (cookie, Origin, hidden fields);
 * returns the status. Behind a proxy the app trusts (TRUST_PROXY), `address` is the visitor's.
 */
export async function postForm(base: string, form: PageForm, address?: string): Promise<number> {
  const posted = await fetch(`${base}${form.action}`, {
    method: 'POST',
    headers: {
      cookie: form.cookie,
      origin: base,
      'content-type': 'application/x-www-form-urlencoded',
      ...(address === undefined ? {} : { 'x-forwarded-for': address }),
    },
    body: new URLSearchParams(form.fields),
    redirect: 'manual',
  });
  return posted.status;
}

/** Records a viewing the way a visitor does: open the video's page, press the button. */
export async function recordViewing(base: string, videoId: string, address?: string): Promise<number> {
  return postForm(base, await watchForm(base, videoId), address);
}

/**
 * The n-th of many simulated visitors' addresses, from 198.18.0.0/15 (set aside for benchmarks:
 * no traffic goes there; requests still go to the app on loopback).
 */
export function visitorAddress(n: number): string {
  return `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;
}
