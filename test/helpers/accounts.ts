import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Knex } from 'knex';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { csrfTokenOf } from './http.ts';

/** What a browser sends with a form posted from one of the site's own pages. */
export const FROM_THIS_SITE = { 'Sec-Fetch-Site': 'same-origin' } as const;

export interface Account {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
}

/** An account as the user-credentials projection holds it, for tests of the pages that read it. */
export async function seedAccount(
  db: Knex,
  { email = `user-${randomUUID().slice(0, 8)}@example.com`, password = 'correct horse battery', roles = [] as string[] } = {},
): Promise<Account> {
  const userId = randomUUID();
  await db('user_credentials').insert({ user_id: userId, email, password_hash: await bcrypt.hash(password, 4), registered_at: new Date(), roles });
  return { userId, email, password };
}

/** Opens the log-in page and posts the form as a browser would; returns the answer to the post. */
export async function logIn(agent: TestAgent, email: string, password: string, extra: Record<string, string> = {}): Promise<Response> {
  const page = await agent.get('/auth/log-in');
  return agent
    .post('/auth/log-in')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(page), email, password, ...extra });
}

/**
 * Opens the registration page and posts its form as a browser would, with the user id the page
 * chose; returns that id and the answer to the post (a 303 to the registration's own page).
 */
export async function postRegistration(
  agent: TestAgent,
  email: string,
  password: string,
  { displayName = 'Test Person', handle = uniqueHandle() }: { displayName?: string; handle?: string } = {},
): Promise<{ userId: string; response: Response }> {
  const page = await agent.get('/register');
  const userId = /name="userId" value="([^"]+)"/.exec(page.text)?.[1];
  if (userId === undefined) throw new Error('the registration page offered no user id');
  const response = await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(page), userId, email, displayName, handle, password, passwordAgain: password });
  return { userId, response };
}

/** A handle nobody has: `t-` and 12 random hex digits. */
export function uniqueHandle(): string {
  return `t-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** The registration form's display name and handle, for tests that post the form by hand. */
export function profileFields(): { displayName: string; handle: string } {
  return { displayName: 'Test Person', handle: uniqueHandle() };
}
