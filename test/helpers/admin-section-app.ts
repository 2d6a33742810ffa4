import Keygrip from 'keygrip';
import request from 'supertest';
import type { Express } from 'express';
import type { Test } from 'tape';
import { createAdminApp } from '../../src/app/admin/index.ts';
import { createSessions } from '../../src/app/authenticate/sessions.ts';
import type { AdminDeps, AdminSectionFactory } from '../../src/app/admin/section.ts';
import { createExpressApp } from '../../src/web/create-app.ts';
import type { System } from '../../src/system.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { postRegistration, seedAccount } from './accounts.ts';
import { silentLogger } from './databases.ts';
import { waitUntil } from './wait-until.ts';

const SECRET = 'admin-section-test-secret-long-enough';
export const CSRF_TOKEN = 'admin-section-test-csrf-token';

export interface AdminSectionApp {
  readonly app: Express;
  /** Session cookies of an admin, of a user without the role; a visitor sends none. */
  readonly admin: { readonly userId: string; readonly cookie: string };
  readonly user: { readonly userId: string; readonly cookie: string };
}

/** The access rule at each url: a visitor goes to log in, a user without the role gets 403, an admin 200. */
export async function checkAdminOnly(
  t: Test,
  { app, admin, user }: AdminSectionApp,
  urls: readonly string[],
): Promise<void> {
  for (const url of urls) {
    const visitor = await request(app).get(url);
    t.equal(visitor.status, 303, `${url}: a visitor is redirected`);
    t.match(visitor.headers.location ?? '', /^\/auth\/log-in/, 'to log in');
    t.equal(
      (await request(app).get(url).set('cookie', user.cookie)).status,
      403,
      `${url}: a user without the role → 403`,
    );
    t.equal((await request(app).get(url).set('cookie', admin.cookie)).status, 200, `${url}: an admin → 200`);
  }
}

/** A signed session cookie as the log-in page leaves it (a live session's id), with a known CSRF token. */
function sessionCookie(sid: string): string {
  const value = Buffer.from(JSON.stringify({ sid, csrfToken: CSRF_TOKEN })).toString('base64');
  return `session=${value}; session.sig=${new Keygrip([SECRET]).sign(`session=${value}`)}`;
}

/**
 * The given admin sections behind createAdminApp, inside the site's own Express app (sessions,
 * CSRF, the 404 page and the error page), with one admin and one plain user in the credentials
 * projection. `extra` adds dependencies a section takes beyond AdminDeps.
 */
export async function adminSectionApp(
  system: System,
  sections: readonly AdminSectionFactory[],
  extra: object = {},
): Promise<AdminSectionApp> {
  const adminAccount = await seedAccount(system.db, { roles: ['admin'] });
  const userAccount = await seedAccount(system.db);
  const deps: AdminDeps = {
    db: system.db,
    messageStore: system.messageStore,
    messageStorePool: system.messageStorePool,
    logger: silentLogger,
    subscriberStatus: () => system.status(),
    subscriptions: system.subscriptions,
  };
  const roles = new Map([[adminAccount.userId, ['admin']]]);
  const admin = createAdminApp({ ...deps, ...extra, rolesOf: async (userId) => roles.get(userId) ?? [], sections });
  const sessions = createSessions(system.db);
  const app = createExpressApp({
    logger: silentLogger,
    cookieSecret: SECRET,
    production: false,
    viewCache: true,
    requestBodyTimeoutMs: 60_000,
    viewDirs: admin.viewsDirs,
    routes: [{ path: '/admin', router: admin.router }],
    probes: [],
    sessionUser: sessions.userOf,
  });
  return {
    app,
    admin: { userId: adminAccount.userId, cookie: sessionCookie(await sessions.start(adminAccount.userId)) },
    user: { userId: userAccount.userId, cookie: sessionCookie(await sessions.start(userAccount.userId)) },
  };
}

/** Registers through the site's own form, as a browser would; resolves with the user id once the welcome email is on record. */
export async function registerThroughTheSite(
  system: System,
  email: string,
  password = 'a long enough password',
): Promise<string> {
  const agent = request.agent(system.app);
  const { userId, response } = await postRegistration(agent, email, password);
  if (response.status !== 303) throw new Error(`registration answered ${response.status}, not 303`);
  await waitUntil(
    'RegistrationEmailSent',
    async () =>
      (await system.messageStore.readStream(identityStreamName(userId))).some(
        (message) => message.type === 'RegistrationEmailSent',
      ) || undefined,
  );
  // Log-in reads the credentials projection, which may trail the identity stream.
  await waitUntil('the credentials row', async () =>
    system.db('user_credentials').where({ user_id: userId }).first('user_id'),
  );
  return userId;
}
