import test from 'tape';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createScope } from '../helpers/scope.ts';
import { createTestSystem } from '../helpers/test-system.ts';

const PASSWORD = 'a long enough password';

test('in Chromium: register, follow the page until the account exists, log in, log out; a wrong password is refused', async (t) => {
  const scope = createScope();
  try {
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
    t.ok(await page.isVisible('text=That email and password do not match an account'), 'a wrong password is refused with a message');
    t.equal(await page.inputValue('#email'), 'ada@example.com', 'the email is kept');
    await screenshot(page, 'log-in-refused');

    await page.fill('#password', PASSWORD);
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('.site-nav__user');
    t.equal((await page.textContent('.site-nav__user'))?.trim(), 'ada@example.com', 'logged in: the header says who');

    await page.click('button:has-text("Log out")');
    await page.waitForSelector('a:has-text("Log in")');
    t.notOk(await page.isVisible('.site-nav__user'), 'logged out');
    const types = (await system.messageStore.readCategory('authentication')).map((message) => message.type);
    t.deepEqual(types, ['UserLoginFailed', 'UserLoggedIn', 'UserLoggedOut'], 'each step is an event');
  } finally {
    await scope.close();
  }
});
