import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Knex } from 'knex';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createAccountLinks } from '../../src/account-links/index.ts';
import { identityProjection } from '../../src/components/identity/identity.ts';
import { identityCommandStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { csrfTokenOf } from './http.ts';
import { TEST_COOKIE_SECRET } from './test-system.ts';
import { waitUntil } from './wait-until.ts';

/** What a browser sends with a form posted from one of the site's own pages. */
export const FROM_THIS_SITE = { 'Sec-Fetch-Site': 'same-origin' } as const;

export interface Account {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
}

/**
 * An account as the user-credentials projection holds it, for tests of the pages that read it.
 * `verified`: its address confirmed, as a creator who uploads must have (no messages stand behind
 * a seeded row, so the flag is seeded too; verifyUser confirms a registered user for real).
 */
export async function seedAccount(
  db: Knex,
  {
    email = `user-${randomUUID().slice(0, 8)}@example.com`,
    password = 'correct horse battery',
    roles = [] as string[],
    verified = false,
  } = {},
): Promise<Account> {
  const userId = randomUUID();
  await db('user_credentials').insert({
    user_id: userId,
    email,
    password_hash: await bcrypt.hash(password, 4),
    registered_at: new Date(),
    roles,
    email_verified: verified,
  });
  return { userId, email, password };
}

/**
 * Confirms a registered user's address through the real messages, as the link in their latest
 * welcome email would (VerifyEmail with the token's hash), and waits until the credentials
 * projection says so.
 */
export async function verifyUser(
  system: { messageStore: MessageStore; db: Knex },
  userId: string,
  cookieSecret = TEST_COOKIE_SECRET,
): Promise<void> {
  const links = createAccountLinks(cookieSecret);
  const { state } = await system.messageStore.project(identityStreamName(userId), identityProjection);
  const requestId = state.verification.welcome?.requestId;
  if (requestId === undefined) throw new Error(`user ${userId} has no welcome email, so no link to confirm with`);
  const tokenHash = links.hashOf(links.tokenFor('verify-email', requestId));
  await system.messageStore.write(identityCommandStreamName(userId), {
    id: randomUUID(),
    type: 'VerifyEmail',
    data: { userId, requestId, tokenHash },
    metadata: { traceId: randomUUID(), userId },
  });
  await waitUntil(
    `user ${userId}'s address confirmed`,
    async () =>
      (await system.db('user_credentials').where('user_id', userId).first('email_verified'))?.email_verified === true,
  );
}

/** Opens the log-in page and posts the form as a browser would; returns the answer to the post. */
export async function logIn(
  agent: TestAgent,
  email: string,
  password: string,
  extra: Record<string, string> = {},
): Promise<Response> {
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
