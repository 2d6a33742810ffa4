import type { Page } from 'playwright-core';
import { ADMIN_ROLE } from '../../src/contracts/identity.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, serve } from '../helpers/chromium.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { componentProcessor, processorContext } from '../helpers/subscribers.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { makeVideo, tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';
/** A desktop and a phone. */
const WIDTHS = [1280, 390] as const;

/**
 * Every page a visitor, a creator and an admin reach, each empty and then filled, checked by axe
 * at both widths: no serious or critical WCAG 2 A/AA violation anywhere (test/helpers/axe.ts).
 */
scopedTest(
  'in Chromium: every page, empty and filled, at 1280 and 390 px, has no serious or critical accessibility violation',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const check = async (page: Page, label: string) => {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 800 });
        await expectAccessible(t, page, label);
      }
    };
    const visit = async (page: Page, path: string, label: string) => {
      await page.goto(`${base}${path}`);
      await check(page, label);
    };

    // A visitor, on an empty site.
    const visitor = await (await browser.newContext()).newPage();
    await visit(visitor, '/', 'home, no videos');
    await visit(visitor, '/no-such-page', 'page not found');
    await visit(visitor, '/register', 'register');
    await visitor.click('main button:has-text("Register")');
    await check(visitor, 'register, sent empty');
    await visitor.fill('#displayName', 'Ada Lovelace');
    await visitor.fill('#handle', 'ada-a11y');
    await visitor.fill('#email', 'ada@example.com');
    await visitor.fill('#password', PASSWORD);
    await visitor.fill('#passwordAgain', PASSWORD);
    await visitor.click('main button:has-text("Register")');
    await visitor.waitForSelector('text=Registered — log in', { timeout: 20_000 });
    await check(visitor, 'registration status');
    await visit(visitor, '/auth/log-in', 'log in');
    await visitor.fill('#email', 'ada@example.com');
    await visitor.fill('#password', 'not my password');
    await visitor.click('main button:has-text("Log in")');
    await check(visitor, 'log in, refused');

    // A creator, before and after an upload.
    const creator = await seedAccount(system.db, { email: 'grace@example.com', password: PASSWORD, verified: true });
    const portal = await (await browser.newContext()).newPage();
    await portal.goto(`${base}/auth/log-in?returnTo=%2Fcreators-portal`);
    await portal.fill('#email', creator.email);
    await portal.fill('#password', PASSWORD);
    await portal.click('main button:has-text("Log in")');
    await portal.waitForURL(`${base}/creators-portal`);
    await check(portal, 'creators portal, no videos');
    // Public, so the visitor below finds it on the home page.
    await portal.check('input[name="visibility"][value="public"]');
    await portal.setInputFiles(
      '#video-file',
      await makeVideo(await tempDir(scope, 'a11y-upload-'), { width: 320, height: 240, seconds: 2 }),
    );
    await portal.click('button:has-text("Upload")');
    await portal.waitForURL(/\/creators-portal\/operations\//);
    await check(portal, 'operation page');
    // Converted, the operation page leads to the video's page in the portal, with its player.
    await portal.waitForURL(/\/creators-portal\/videos\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    const videoId = portal.url().split('/').pop()!;
    await check(portal, "a video's manage page");
    await visit(portal, `/videos/${videoId}`, 'watch page, logged in');
    await visit(portal, '/creators-portal', 'creators portal, with a video');
    await visit(portal, `/creators-portal/videos/${videoId}`, "a video's manage page, again");
    // The form's own checks (the browser's and its script's) would stop an empty title: a plain
    // submit goes past both, so the server's answer is what is checked.
    await portal.fill('#name', '');
    await portal.evaluate(`HTMLFormElement.prototype.submit.call(document.querySelector('form[data-instant="name"]'))`);
    await portal.waitForSelector('#name-error');
    await check(portal, "a video's manage page, name refused");
    await visit(portal, '/auth/log-out', 'log out');

    // The visitor again, now that there is a video.
    await visit(visitor, '/', 'home, with videos');
    await visit(visitor, `/videos/${videoId}`, 'watch page');
    await visit(visitor, `/videos/${crypto.randomUUID()}`, 'watch page of no video');
    await visit(visitor, '/newest', 'newest videos');
    await visit(visitor, '/popular', 'most watched this week, none yet');
    // Watched this week, as the popular-videos aggregator keeps it.
    await system.db('video_weekly_views').insert({
      video_id: videoId,
      week_ending: system.db.raw("(now() AT TIME ZONE 'UTC')::date"),
      views: 2,
    });
    await visit(visitor, '/', 'home, with the week’s most watched');
    await visit(visitor, '/popular', 'most watched this week');

    // An admin, with a parked message to look at.
    const category = uniqueCategory();
    const processor = componentProcessor(system.messageStore, category, async () => {
      throw new Error('cannot handle it');
    });
    await system.messageStore.write(`${category}-1`, message('Fragile', { n: 1 }));
    await processor.process(await system.messageStore.readCategory(category), 0, processorContext());
    const admin = await seedAccount(system.db, { roles: [ADMIN_ROLE] });
    const adminPage = await (await browser.newContext()).newPage();
    await adminPage.goto(`${base}/auth/log-in?returnTo=%2Fadmin`);
    await adminPage.fill('#email', admin.email);
    await adminPage.fill('#password', admin.password);
    await adminPage.click('main button:has-text("Log in")');
    await adminPage.waitForURL(`${base}/admin`);
    await check(adminPage, 'admin dashboard');
    const ada = await waitUntil('ada in the admin users projection', async () =>
      system.db('admin_users').where({ email: 'ada@example.com' }).first<{ user_id: string } | undefined>('user_id'),
    );
    const today = new Date().toISOString().slice(0, 10);
    for (const [path, label] of [
      ['/admin/users', 'admin users'],
      [`/admin/users/${ada.user_id}`, 'admin user'],
      [`/admin/users/${ada.user_id}/erase`, 'admin user erase'],
      ['/admin/videos', 'admin videos'],
      [`/admin/videos/${videoId}`, 'admin video'],
      ['/admin/messages', 'admin messages'],
      ['/admin/messages?category=nothing-here', 'admin messages, none found'],
      ['/admin/streams', 'admin streams'],
      ['/admin/streams/categories', 'admin categories'],
      ['/admin/streams/types', 'admin message types'],
      ['/admin/subscribers', 'admin subscribers'],
      ['/admin/parked', 'admin parked'],
      ['/admin/exports', 'admin exports'],
      ['/admin/rebuild', 'admin rebuild'],
      ['/admin/as-of', 'admin as-of'],
      [`/admin/as-of?kind=user&id=${ada.user_id}&at=${today}`, 'admin as-of, a user'],
      [`/admin/as-of?kind=video&id=${videoId}&at=${today}`, 'admin as-of, a video'],
      ['/admin/as-of?kind=user&id=x&at=nonsense', 'admin as-of, refused'],
    ] as const)
      await visit(adminPage, path, label);
    await visit(adminPage, '/admin/parked', 'admin parked');
    await adminPage.click('a[href$="/discard"] >> nth=0');
    await check(adminPage, 'admin parked discard');
    await visit(adminPage, '/admin/messages', 'admin messages');
    await adminPage.click('table a[href^="/admin/messages/"] >> nth=0');
    await check(adminPage, 'admin message');
    await adminPage.click('a[href^="/admin/traces/"] >> nth=0');
    await check(adminPage, 'admin trace');
    await visit(adminPage, '/admin/rebuild', 'admin rebuild');
    await adminPage.click('article.rebuild-entry h2 a >> nth=0');
    await check(adminPage, 'admin rebuild, one projection');
  },
);
