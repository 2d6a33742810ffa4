import { ADMIN_ROLE } from '../../src/contracts/identity.ts';
import { postRegistration, seedAccount } from '../helpers/accounts.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import request from 'supertest';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest('in Chromium: an admin follows a registration from the user’s page to its trace tree', async (t, scope) => {
  const system = scope.add(await createTestSystem(), (s) => s.stop());
  system.start();
  // Someone registers, as a browser would post the form.
  const visitor = request.agent(system.app);
  const { userId } = await postRegistration(visitor, 'grace@example.com', 'a long password');
  await waitUntil(
    'the welcome email to be recorded',
    async () =>
      (await system.messageStore.readStream(`identity-${userId}`)).some(
        (message) => message.type === 'RegistrationEmailSent',
      ) || undefined,
  );
  await waitUntil('the admin users projection', async () =>
    system.db('admin_users').where({ user_id: userId }).first(),
  );

  const admin = await seedAccount(system.db, { roles: [ADMIN_ROLE] });
  const base = await serve(scope, system.app);
  const browser = await openBrowser(scope);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${base}/auth/log-in?returnTo=%2Fadmin`);
  await page.fill('#email', admin.email);
  await page.fill('#password', admin.password);
  await page.click('button:has-text("Log in")');
  await page.waitForURL(`${base}/admin`);
  t.ok(await page.isVisible('nav.admin-nav'), 'the admin dashboard, with the admin nav');
  await screenshot(page, 'admin-dashboard');

  await page.click('nav.admin-nav a:has-text("Users")');
  await page.click('a:has-text("grace@example.com")');
  t.match(page.url(), new RegExp(`/admin/users/${userId}`), "the user's page");
  await screenshot(page, 'admin-user');
  // Their Registered event, then its trace.
  await page.click('tr:has-text("Registered") >> td >> nth=0 >> a');
  t.match(page.url(), /\/admin\/messages\/\d+$/, 'a message of theirs, in detail');
  t.notOk((await page.content()).includes('$2b$'), 'its password hash is not shown');
  await page.click('a:has-text("The whole trace, as a causation tree")');
  t.match(page.url(), /\/admin\/traces\//, 'its trace');
  const tree = await page.$$eval('ul.trace-tree li.trace-node > a', (links) =>
    links.map((link) => link.textContent?.trim() ?? ''),
  );
  for (const type of ['Register', 'EmailReserved', 'Registered', 'Send', 'Sent', 'RegistrationEmailSent'])
    t.ok(tree.includes(type), `the tree holds ${type}`);
  const nested = await page.$$eval('li.trace-node li.trace-node > a', (links) =>
    links.map((link) => link.textContent?.trim() ?? ''),
  );
  t.ok(nested.includes('Registered') && nested.includes('Sent'), 'caused messages are drawn under their causes');
  await screenshot(page, 'admin-trace');
});
