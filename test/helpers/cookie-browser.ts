import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { FROM_THIS_SITE } from './accounts.ts';
import { csrfTokenOf } from './http.ts';

/**
 * A browser whose cookies a test can read, copy and forge: a jar by name (paths are not
 * followed, every request here goes to the one site), and an address it comes from, sent as
 * X-Forwarded-For for a site that trusts the loopback proxy.
 */
export interface CookieBrowser {
  readonly cookies: Map<string, string>;
  /** The Cookie header this browser sends. */
  cookieHeader(): string;
  get(path: string): Promise<Response>;
  /** Posts a form as from one of the site's pages (put its `_csrf` in `form`). */
  post(path: string, form: Record<string, string>): Promise<Response>;
  /** Opens the log-in page and posts its form; returns the answer to the post. */
  logIn(email: string, password: string): Promise<Response>;
  /** Opens the log-out page and presses the button named by `action` (log-out by default). */
  logOut(action?: string): Promise<Response>;
}

export function cookieBrowser(app: Express, address = '127.0.0.1'): CookieBrowser {
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const keep = (response: Response): Response => {
    for (const cookie of ([] as string[]).concat(response.headers['set-cookie'] ?? [])) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };
  const headers = () => ({ cookie: cookieHeader(), 'X-Forwarded-For': address });
  const get = async (path: string) => keep(await request(app).get(path).set(headers()));
  const post = async (path: string, form: Record<string, string>) =>
    keep(
      await request(app)
        .post(path)
        .set({ ...FROM_THIS_SITE, ...headers() })
        .type('form')
        .send(form),
    );
  return {
    cookies,
    cookieHeader,
    get,
    post,
    async logIn(email, password) {
      const page = await get('/auth/log-in');
      return post('/auth/log-in', { _csrf: csrfTokenOf(page), email, password });
    },
    async logOut(action = '/auth/log-out') {
      const page = await get('/auth/log-out');
      return post(action, { _csrf: csrfTokenOf(page) });
    },
  };
}

/** The JSON a cookie-session cookie holds (base64 of JSON). */
export function sessionContents(browser: CookieBrowser): Record<string, unknown> {
  const value = browser.cookies.get('session');
  return value ? (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Record<string, unknown>) : {};
}
