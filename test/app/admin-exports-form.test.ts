import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { asOfHref } from '../../src/app/admin/shared/links.ts';
import { asOfSection } from '../../src/app/admin/as-of/index.ts';
import { exportHref } from '../../src/app/admin/shared/links.ts';
import { exportsSection } from '../../src/app/admin/exports/index.ts';
import { viewingStreamName } from '../../src/contracts/viewing.ts';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { FROM_THIS_SITE } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { message } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

/** The value an input with this id shows. */
const valueOf = (html: string, id: string): string | undefined =>
  new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(html)?.[0].match(/value="([^"]*)"/)?.[1];
const selected = (html: string, id: string): string | undefined =>
  new RegExp(`<select[^>]*id="${id}"[^>]*>(.*?)</select>`, 's')
    .exec(html)?.[1]
    ?.match(/<option value="(\w+)" selected/)?.[1];

test('admin exports: a refused export stays in the portal, says what to fix, and keeps what was typed', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [exportsSection]);
  const post = (url: string, form: Record<string, string>) =>
    request(app)
      .post(url)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, ...form });

  const bad = await post('/admin/exports/user', { userId: 'ada-not-a-uuid', format: 'json' });
  t.equal(bad.status, 400, 'a bad id → 400');
  t.match(bad.text, /<nav class="admin-nav" aria-label="Admin">/, 'on an admin page');
  t.match(bad.text, /<h1>Exports<\/h1>/, 'the exports page');
  t.match(bad.text, /id="user-refused" role="alert">Give a user id \(a UUID/, 'saying what to fix');
  t.equal(valueOf(bad.text, 'export-user'), 'ada-not-a-uuid', 'the id as typed');
  t.equal(selected(bad.text, 'export-user-format'), 'json', 'and the format chosen');
  t.match(
    /<input[^>]*id="export-user"[^>]*>/.exec(bad.text)?.[0] ?? '',
    /aria-describedby="user-refused"/,
    'the field points at the refusal',
  );
  t.match(bad.text, /name="_csrf" value="[^"]+"/, 'the forms can be sent again');
  t.match(
    /<input[^>]*id="export-user"[^>]*>/.exec(bad.text)?.[0] ?? '',
    /autofocus/,
    'the focus is on the field to fix',
  );
  t.equal(bad.text.match(/autofocus/g)?.length, 1, 'and on no other');

  const unknown = randomUUID();
  const none = await post('/admin/exports/user', { userId: unknown, format: 'csv' });
  t.equal(none.status, 404, 'a user with no messages → 404');
  t.match(none.text, /No message is by or about that user/, 'said on the exports page');
  t.equal(valueOf(none.text, 'export-user'), unknown, 'with the id kept');

  const category = await post('/admin/exports/category', {
    category: 'has-dash',
    format: 'csv',
    from: '2026-01-01T00:00',
  });
  t.equal(category.status, 400, 'a bad category → 400');
  t.equal(valueOf(category.text, 'export-category'), 'has-dash', 'the category kept');
  t.equal(valueOf(category.text, 'export-from'), '2026-01-01T00:00', 'and the time');
  t.equal(selected(category.text, 'export-category-format'), 'csv', 'and the format');
  t.doesNotMatch(category.text, /id="user-refused"/, 'only the refused form says so');

  const trace = await post('/admin/exports/trace', { traceId: '' });
  t.equal(trace.status, 400, 'no trace id → 400');
  t.match(trace.text, /id="trace-refused"/, 'said at the trace form');
  t.match(/<input[^>]*id="export-trace"[^>]*>/.exec(trace.text)?.[0] ?? '', /autofocus/, 'its field has the focus');
  t.doesNotMatch(/<input[^>]*id="export-user"[^>]*>/.exec(trace.text)?.[0] ?? '', /autofocus/, 'not the first form’s');
});

test('admin exports: a video’s history holds its own streams’ messages; its page and a user’s link to their export and as-of view', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [exportsSection, asOfSection]);
  const [videoId, other] = [randomUUID(), randomUUID()];
  await system.messageStore.write(videoPublishingStreamName(videoId), message('VideoPublishingAccepted', { videoId }));
  await system.messageStore.write(viewingStreamName(videoId), message('VideoViewed', { videoId }));
  await system.messageStore.write(viewingStreamName(other), message('VideoViewed', { videoId: other }));

  const exported = await request(app)
    .post('/admin/exports/video')
    .set('cookie', admin.cookie)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: CSRF_TOKEN, videoId, format: 'json' })
    .expect(200);
  const parsed = JSON.parse(exported.text) as { export: { kind: string }; messages: { streamName: string }[] };
  t.equal(parsed.export.kind, 'video', 'a video export');
  t.deepEqual(
    parsed.messages.map((m) => m.streamName).sort(),
    [videoPublishingStreamName(videoId), viewingStreamName(videoId)].sort(),
    'its streams, no other video’s',
  );

  const prefilled = await request(app).get(exportHref('video', videoId)).set('cookie', admin.cookie).expect(200);
  t.equal(valueOf(prefilled.text, 'export-video'), videoId, 'the link from its page fills in its id');
  t.equal(
    valueOf(
      (await request(app).get(exportHref('user', other)).set('cookie', admin.cookie).expect(200)).text,
      'export-user',
    ),
    other,
    'and a user’s link theirs',
  );
  const asOf = await request(app).get(asOfHref('video', videoId)).set('cookie', admin.cookie).expect(200);
  t.match(asOf.text, /Folded from 2 messages/, 'its as-of link shows it as of today, from both its streams');
});
