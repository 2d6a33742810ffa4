import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { ADMIN_ROLE } from '../../src/contracts/identity.ts';
import { postRegistration, seedAccount } from '../helpers/accounts.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { message } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/**
 * What goes wrong on a phone: the page scrolls sideways, a header breaks inside a word, the
 * logged-in address wraps. Sent as text: the test runner's transform names functions with a
 * helper the page does not have.
 */
const PHONE_PROBLEMS = `(() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) problems.push('the page is ' + root.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
  // A text's line boxes: more than one top means it wrapped.
  const lines = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
  };
  for (const th of document.querySelectorAll('.admin-table th')) {
    if (lines(th) > 1) problems.push('header “' + th.textContent + '” wraps');
  }
  const user = document.querySelector('.site-nav__user');
  if (user && lines(user) > 1) problems.push('the logged-in address wraps');
  return problems;
})()`;

const phoneProblems = (page: Page): Promise<string[]> => page.evaluate(PHONE_PROBLEMS) as Promise<string[]>;

scopedTest(
  'in Chromium at 390 and 1280 px: admin pages neither scroll sideways nor break headers inside words',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const visitor = request.agent(system.app);
    const email = 'grace.hopper.with.a.long.address@example.com';
    const { userId } = await postRegistration(visitor, email, 'a long password');
    await waitUntil('the admin users projection', async () =>
      system.db('admin_users').where({ user_id: userId }).first(),
    );
    const admin = await seedAccount(system.db, {
      roles: [ADMIN_ROLE],
      email: 'operations.administrator.on.call@example.com',
    });
    // Something parked, and one settled by the admin, so the parked page has both parts.
    const subscriberId = 'components:example';
    const parked = async (type: string) => {
      const original = await system.messageStore.write(`example-${randomUUID()}`, message(type, { n: 1 }));
      const written = (await system.messageStore.readCategory('example')).find(
        (m) => m.type === type && m.position === original,
      )!;
      const reference = {
        id: written.id,
        streamName: written.streamName,
        position: written.position,
        globalPosition: written.globalPosition,
        type,
      };
      await system.messageStore.write(
        `deadLetter-${subscriberId}`,
        message('Parked', {
          subscriberId,
          message: reference,
          error: `cannot handle ${type}: the amount is not a number`,
          attempts: 3,
        }),
      );
    };
    await parked('PaymentRequested');
    await parked('PaymentRefunded');
    await system.messageStore.write(
      adminActionsStreamName(admin.userId),
      message(
        'ParkedMessageDiscarded',
        { adminId: admin.userId, subscriberId, messageId: randomUUID(), reason: 'a test message, never valid' },
        { userId: admin.userId },
      ),
    );
    const registered = await waitUntil('the Registered event', async () =>
      (await system.messageStore.readStream(`identity-${userId}`)).find((m) => m.type === 'Registered'),
    );

    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`${base}/auth/log-in?returnTo=%2Fadmin`);
      await page.fill('#email', admin.email);
      await page.fill('#password', admin.password);
      await page.click('button:has-text("Log in")');
      await page.waitForURL(`${base}/admin`);
      const suffix = width === 390 ? '-390' : '';
      const pages: [string, string][] = [
        ['admin-dashboard', '/admin'],
        ['admin-users', '/admin/users'],
        ['admin-user', `/admin/users/${userId}`],
        ['admin-messages', '/admin/messages'],
        ['admin-message', `/admin/messages/${registered.globalPosition}`],
        ['admin-parked', '/admin/parked'],
      ];
      for (const [name, path] of pages) {
        await page.goto(`${base}${path}`);
        t.deepEqual(await phoneProblems(page), [], `${name} at ${width} px`);
        await screenshot(page, `${name}${suffix}`);
      }
      t.ok(
        (await page.content()).includes('g•••@example.com') ||
          (await page.goto(`${base}/admin/messages/${registered.globalPosition}`),
          (await page.content()).includes('g•••@example.com')),
        'the sealed address masked',
      );
      // A refused export: back on the exports page, with what was typed.
      await page.goto(`${base}/admin/exports`);
      await page.fill('#export-user', 'grace');
      await page.click('form[action="/admin/exports/user"] button:has-text("Export")');
      await page.waitForSelector('#user-refused');
      t.equal(await page.inputValue('#export-user'), 'grace', `a refused export keeps what was typed (${width} px)`);
      t.deepEqual(await phoneProblems(page), [], `admin-exports at ${width} px`);
      await screenshot(page, `admin-exports${suffix}`);
      await page.close();
    }
  },
);
