import request from 'supertest';
import test from 'tape';
import { logIn, seedAccount } from '../helpers/accounts.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** The text a person sees: no HTML comments, no tags. */
const visible = (html: string) => html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]+>/g, ' ');
const footerOf = (html: string) => /<footer class="site-footer">[\s\S]*<\/footer>/.exec(html)?.[0] ?? '';

test('footer: a normal footer for visitors; the trace id is in a comment and the X-Trace-Id header, visible to admins only', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const visitorPage = await request(system.app).get('/').expect(200);
  const traceId = visitorPage.headers['x-trace-id'] ?? '';
  t.match(traceId, new RegExp(`^${UUID}$`), 'the response says its trace id in X-Trace-Id');
  const footer = footerOf(visitorPage.text);
  t.match(visible(footer), /Video Tutorials — learn by watching\./, 'the footer says what the site is');
  t.match(footer, /<a href="\/">Browse videos<\/a>/, 'with useful links');
  t.match(footer, /<a href="\/register">Create an account<\/a>/);
  t.doesNotMatch(visible(footer), /event store|append-only|messages|Trace/i, 'no developer words');
  t.ok(visitorPage.text.includes(`<!-- trace ${traceId} -->`), 'the same trace id as an HTML comment, for support');
  t.notOk(visible(visitorPage.text).includes(traceId), 'never in the visible text');

  const missing = await request(system.app).get('/no-such-page').expect(404);
  t.ok(missing.text.includes(`<!-- trace ${missing.headers['x-trace-id']} -->`), 'error pages carry it too');

  const user = await seedAccount(system.db);
  const userAgent = request.agent(system.app);
  await logIn(userAgent, user.email, user.password);
  const userPage = await userAgent.get('/').expect(200);
  t.notOk(
    visible(userPage.text).includes(userPage.headers['x-trace-id'] ?? '?'),
    'a user without the admin role does not see it',
  );
  t.doesNotMatch(footerOf(userPage.text), /Create an account/, 'nor the link to create an account');

  const admin = await seedAccount(system.db, { roles: ['admin'] });
  const adminAgent = request.agent(system.app);
  await logIn(adminAgent, admin.email, admin.password);
  const adminPage = await adminAgent.get('/').expect(200);
  t.match(
    adminPage.text,
    new RegExp(`<p class="trace">Trace <code>${adminPage.headers['x-trace-id']}</code></p>`),
    'an admin sees it in the footer',
  );
});
