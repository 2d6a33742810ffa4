import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { asOfSection } from '../../src/app/admin/as-of/index.ts';
import { authenticationStreamName } from '../../src/contracts/authentication.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { Message } from '../../src/message-store/index.ts';
import { fakePasswordHash } from '../fixtures/identity-controls.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { adminPortal } from '../rebuild/admin-portal.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const event = (type: string, data: Record<string, unknown>): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata: {},
});

test('admin as-of: a user at a point and what changed by another; the catalog as of a date; bad input is a 4xx', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const adminId = randomUUID();
  const app = adminPortal(system, adminId, [asOfSection]);
  const as = { 'x-test-user': adminId };
  const userId = randomUUID();
  const write = async (stream: string, message: Message) => {
    await system.messageStore.write(stream, message);
    return (await system.messageStore.readLastMessage(stream))!.globalPosition;
  };
  const registered = await write(
    identityStreamName(userId),
    event('Registered', { userId, email: 'bob@example.com', passwordHash: fakePasswordHash() }),
  );
  await write(authenticationStreamName(userId), event('UserLoggedIn', { userId }));
  const granted = await write(identityStreamName(userId), event('AdminRoleGranted', { userId, by: 'test' }));

  t.equal((await request(app).get('/admin/as-of')).status, 303, 'a visitor is sent to log in');
  t.equal(
    (await request(app).get('/admin/as-of').set({ 'x-test-user': randomUUID() })).status,
    403,
    'a user without the role → 403',
  );
  const empty = await request(app).get('/admin/as-of').set(as).expect(200);
  t.match(empty.text, /<form class="panel as-of-form" method="get" action="\/admin\/as-of">/, 'the forms');
  t.match(empty.text, /<a [^>]*href="\/admin\/as-of"[^>]*>As of<\/a>/, 'in the admin nav');

  const page = await request(app)
    .get('/admin/as-of')
    .query({ kind: 'user', id: userId, at: String(registered), compare: String(granted) })
    .set(as)
    .expect(200);
  t.match(page.text, new RegExp(`<h3>As of global position ${registered}</h3>`), 'the state at the first point');
  t.match(page.text, /b•••@example.com/, 'with the email masked');
  t.match(page.text, new RegExp(`<h3>As of global position ${granted}</h3>`), 'and at the second');
  t.match(page.text, /<tr><th scope="row">Roles<\/th><td>none<\/td><td>admin<\/td><\/tr>/, 'what changed: the role');
  t.match(page.text, /<tr><th scope="row">Log-ins<\/th><td>0<\/td><td>1<\/td><\/tr>/, 'and the log-ins');
  t.match(page.text, /2 messages between the two points/, 'how many messages between');
  t.match(
    page.text,
    new RegExp(`<a href="/admin/messages/${granted}">AdminRoleGranted</a>`),
    'each linked to its page',
  );
  t.match(page.text, new RegExp(`value="${userId}"`), 'the form keeps what was asked');

  const catalog = await request(app).get('/admin/as-of').query({ date: '2999-12-31' }).set(as).expect(200);
  t.match(
    catalog.text,
    /<tr><th scope="row">Published videos<\/th><td>0<\/td><\/tr>/,
    'the catalog’s counts as of a date',
  );

  const cases = [
    [{ kind: 'user', id: 'not-a-uuid', at: '1' }, 400, /A user&#39;s id is a UUID|A user's id is a UUID/],
    [{ kind: 'user', id: userId, at: 'last tuesday' }, 400, /must be a global position/],
    [{ kind: 'planet', id: userId, at: '1' }, 400, /Choose what to look at/],
    [{ date: 'soon' }, 400, /The catalog’s date must be/],
    [{ kind: 'video', id: randomUUID(), at: '1' }, 404, /No video with id .* has any message/],
  ] as const;
  // The field the error is about points at it (aria-describedby), and no other field does.
  const describedBy = (html: string, id: string) =>
    new RegExp(`<(?:input|select)[^>]*id="${id}"[^>]*>`).exec(html)?.[0].match(/aria-describedby="([^"]*)"/)?.[1];
  const fields = ['as-of-kind', 'as-of-id', 'as-of-at', 'as-of-compare', 'as-of-date'];
  const blamed = [
    [{ kind: 'user', id: 'not-a-uuid', at: '1' }, 'as-of-id'],
    [{ kind: 'user', id: userId, at: 'last tuesday' }, 'as-of-at'],
    [{ kind: 'user', id: userId, at: '1', compare: 'later' }, 'as-of-compare'],
    [{ kind: 'planet', id: userId, at: '1' }, 'as-of-kind'],
    [{ date: 'soon' }, 'as-of-date'],
  ] as const;
  for (const [query, field] of blamed) {
    const html = (await request(app).get('/admin/as-of').query(query).set(as).expect(400)).text;
    t.deepEqual(
      fields.filter((id) => describedBy(html, id) === 'as-of-error'),
      [field],
      `${JSON.stringify(query)}: the error is read with ${field} only`,
    );
  }
  for (const [query, status, says] of cases) {
    const answer = await request(app).get('/admin/as-of').query(query).set(as);
    t.equal(answer.status, status, `${JSON.stringify(query)} → ${status}`);
    t.match(answer.text, says, 'saying why');
  }
});
