import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type RequestListener } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Scope } from './scope.ts';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Debian's Chromium (or CHROMIUM_PATH), headless, closed with the scope. */
export async function openBrowser(scope: Scope): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? CANDIDATES.find((candidate) => existsSync(candidate));
  if (!executablePath) throw new Error('No Chromium found: install it (apt install chromium) or set CHROMIUM_PATH');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  return scope.add(browser, (b) => b.close());
}

/** Serves `app` on a loopback port for the browser, closed with the scope (keep-alive sockets too). */
export async function serve(scope: Scope, app: RequestListener): Promise<string> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scope.add(server, (s) => {
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    return closed;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Saves a full-page screenshot where the README shows it. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SAVE_SCREENSHOTS) await page.screenshot({ path: `docs/screenshots/${name}.png`, fullPage: true });
}

/** Logs `account` in through the site's own form, and waits for the home page it leads to. */
export async function logInAs(
  page: Page,
  base: string,
  account: { readonly email: string; readonly password: string },
): Promise<void> {
  await page.goto(`${base}/auth/log-in`);
  await page.fill('#email', account.email);
  await page.fill('#password', account.password);
  await page.click('button:has-text("Log in")');
  await page.waitForURL(`${base}/`);
}
