import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { eraseUser } from '../../src/components/identity/erase-user.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import type { System } from '../../src/system.ts';
import { logIn } from '../helpers/accounts.ts';
import { registerThroughTheSite } from '../helpers/admin-section-app.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const PASSWORD = 'a long enough password';

const erase = (system: System, userId: string) =>
  eraseUser({ messageStore: system.messageStore, personalData: createPersonalData(system.db) }, userId, { by: randomUUID(), traceId: randomUUID() });

const credentialsGone = (system: System, userId: string) =>
  waitUntil(`the credentials row of ${userId} to go`, async () => ((await system.db('user_credentials').where({ user_id: userId }).first('user_id')) ? undefined : true));

test('erasure: a logged-in user who is erased is logged out at their next request', async (t) => {
  const system = await createTestSystem();
  try {
    system.start();
    const email = 'ended@example.com';
    const userId = await registerThroughTheSite(system, email, PASSWORD);
    const agent = request.agent(system.app);
    t.equal((await logIn(agent, email, PASSWORD)).status, 303, 'logged in');
    t.equal((await agent.get('/creators-portal')).status, 200, 'a page for users opens');
    t.match((await agent.get('/')).text, /site-nav__user/, 'the header shows them logged in');

    await erase(system, userId);
    await credentialsGone(system, userId);

    const portal = await agent.get('/creators-portal');
    t.equal(portal.status, 303, 'the same cookie no longer opens a page for users');
    t.match(portal.headers.location ?? '', /^\/auth\/log-in/, 'it goes to log in');
    t.doesNotMatch((await agent.get('/')).text, /site-nav__user/, 'the header shows a visitor');
    const setCookie = ([] as string[]).concat(portal.headers['set-cookie'] ?? []).join(';');
    t.match(setCookie, /session=/, 'the session cookie is rewritten');
    const session = /session=([^;]*)/.exec(setCookie)?.[1] ?? '';
    t.doesNotMatch(Buffer.from(session, 'base64').toString('utf8'), /userId/, 'without the user in it');

    // Someone else logs in as before: the check costs them nothing.
    const other = 'still-here@example.com';
    await registerThroughTheSite(system, other, PASSWORD);
    const otherAgent = request.agent(system.app);
    t.equal((await logIn(otherAgent, other, PASSWORD)).status, 303, 'a user who registered just now logs in');
    t.equal((await otherAgent.get('/creators-portal')).status, 200, 'and stays logged in');
    t.equal((await otherAgent.get('/auth/log-out')).status, 200, 'log-out is offered to them');
  } finally {
    await system.stop();
  }
});
