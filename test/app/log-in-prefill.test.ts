import request from 'supertest';
import test from 'tape';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('log in: "Log in instead" types the address in, and no link on the page carries it on (it would reach the logs as a returnTo)', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const page = (await request(system.app).get('/auth/log-in?email=alice%40example.com').expect(200)).text;
  t.match(page, /<input[^>]*id="email"[^>]*value="alice@example.com"/, 'the address is in its field');
  const hrefs = [...page.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!);
  t.deepEqual(
    hrefs.filter((href) => /alice/i.test(decodeURIComponent(href))),
    [],
    'no link carries the address',
  );
  t.ok(hrefs.includes('/auth/log-in?returnTo=%2F'), 'the header’s log-in link returns home instead');
});
