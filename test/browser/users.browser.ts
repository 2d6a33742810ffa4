import type { Page } from 'playwright-core';
import { DEFAULTS } from '../../src/config/defaults.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';

scopedTest(
  'in Chromium: register, follow the page until the account exists, log in, log out; a wrong password is refused',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });

    await page.goto(`${base}/`);
    await page.click('text=Register');
    t.equal(new URL(page.url()).pathname, '/register', 'the header leads to the registration form');
    await screenshot(page, 'register');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#displayName', 'Ada Lovelace');
    await page.fill('#handle', 'ada');
    await page.fill('#password', PASSWORD);
    await page.fill('#passwordAgain', PASSWORD);
    await page.click('button:has-text("Register")');
    // The status page refreshes itself (meta refresh) until the account exists.
    await page.waitForSelector('text=Registered — log in', { timeout: 20_000 });
    t.pass('the registration page says the account is ready, by itself');
    await screenshot(page, 'registered');

    await page.click('a:has-text("Log in")');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', 'not my password');
    await page.click('button:has-text("Log in")');
    t.ok(
      await page.isVisible('text=That email and password do not match an account'),
      'a wrong password is refused with a message',
    );
    t.equal(await page.inputValue('#email'), 'ada@example.com', 'the email is kept');
    await screenshot(page, 'log-in-refused');

    await page.fill('#password', PASSWORD);
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('.site-nav__user');
    t.equal(
      (await page.textContent('.site-nav__user'))?.trim(),
      'Ada Lovelace',
      'logged in: the header greets them by name',
    );
    t.equal(
      await page.getAttribute('.site-nav__user', 'title'),
      'Logged in as ada@example.com',
      'their address in its tooltip',
    );

    await page.click('button:has-text("Log out")');
    await page.waitForSelector('a:has-text("Log in")');
    t.notOk(await page.isVisible('.site-nav__user'), 'logged out');
    const types = (await system.messageStore.readCategory('authentication')).map((message) => message.type);
    t.deepEqual(types, ['UserLoginFailed', 'UserLoggedIn', 'UserLoggedOut'], 'each step is an event');
  },
);

scopedTest(
  'in Chromium: the log-out page offers "log out everywhere"; a throttled log-in says how long, and the known browser still gets in',
  async (t, scope) => {
    const system = scope.add(
      await createTestSystem({
        loginThrottle: { ...DEFAULTS.loginThrottle, untrustedPerAccount: { tries: 2, refillSeconds: 240 } },
      }),
      (s) => s.stop(),
    );
    const owner = await seedAccount(system.db, { email: 'grace@example.com', password: PASSWORD });
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const logIn = async (page: Page, password: string) => {
      await page.goto(`${base}/auth/log-in`);
      await page.fill('#email', owner.email);
      await page.fill('#password', password);
      await page.click('main button:has-text("Log in")');
    };

    const known = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const laptop = await known.newPage();
    await logIn(laptop, PASSWORD);
    await laptop.waitForSelector('.site-nav__user');
    await laptop.goto(`${base}/auth/log-out`);
    t.ok(
      await laptop.isVisible('button:has-text("Log out everywhere")'),
      'the log-out page offers to log out everywhere',
    );
    await screenshot(laptop, 'log-out');
    await laptop.setViewportSize({ width: 390, height: 800 });
    await screenshot(laptop, 'log-out-mobile');
    await laptop.click('button:has-text("Log out everywhere")');
    await laptop.waitForSelector('text=You are logged out in every browser');
    await expectAccessible(t, laptop, 'logged out everywhere');
    t.notOk(await laptop.isVisible('.site-nav__user'), 'logged out');

    const stranger = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    for (const guess of ['guess one', 'guess two', 'guess three']) await logIn(stranger, guess);
    t.ok(
      await stranger.isVisible('text=Try again in 4 minutes.'),
      'a new browser past its tries is told how long to wait, in words',
    );
    t.equal(await stranger.inputValue('#email'), owner.email, 'on the form, the email kept');
    await screenshot(stranger, 'log-in-throttled');
    await expectAccessible(t, stranger, 'log in, throttled');
    await stranger.setViewportSize({ width: 390, height: 800 });
    await screenshot(stranger, 'log-in-throttled-mobile');
    await expectAccessible(t, stranger, 'log in, throttled');

    await laptop.setViewportSize({ width: 1280, height: 800 });
    await logIn(laptop, PASSWORD);
    await laptop.waitForSelector('.site-nav__user');
    t.pass("meanwhile the owner's known browser logs in at the first try");
  },
);
