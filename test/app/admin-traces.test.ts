import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { tracesSection } from '../../src/app/admin/traces/index.ts';
import { causationTree, type Caused, type TraceNode } from '../../src/app/admin/traces/tree.ts';
import { identityCommandStreamName } from '../../src/contracts/identity.ts';
import { adminSectionApp, registerThroughTheSite } from '../helpers/admin-section-app.ts';
import { uniqueCategory } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

/** The tree as the page draws it: one line per message, indented by its depth. */
function drawnTree(html: string): string {
  const lines: string[] = [];
  let depth = -1;
  for (const [token] of html.matchAll(
    /<ul class="trace-tree">|<\/ul>|<li class="trace-node">[\s\S]*?<a href="\/admin\/messages\/\d+">[^<]+<\/a>/g,
  )) {
    if (token.startsWith('<ul')) depth += 1;
    else if (token === '</ul>') depth -= 1;
    else lines.push(`${'  '.repeat(depth)}${/>([^<]+)<\/a>$/.exec(token)![1]}`);
  }
  return lines.join('\n');
}

test('admin traces: a registration, made through the site, draws as its causation tree', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const { app, admin, user } = await adminSectionApp(system, [tracesSection]);
  const userId = await registerThroughTheSite(system, 'trace.me@example.com');
  const [register] = await system.messageStore.readStream(identityCommandStreamName(userId));
  const traceId = register!.metadata.traceId!;
  const url = `/admin/traces/${traceId}`;

  t.equal((await request(app).get(url)).status, 303, 'a visitor is sent to log in');
  t.equal((await request(app).get(url).set('cookie', user.cookie)).status, 403, 'a user without the role → 403');
  const page = await request(app).get(url).set('cookie', admin.cookie).expect(200);
  t.equal(
    drawnTree(page.text),
    [
      'Register',
      '  EmailReserved',
      '  HandleReserved',
      '  Registered',
      '    Send',
      '      Sent',
      '        RegistrationEmailSent',
    ].join('\n'),
    'Register → EmailReserved, HandleReserved and Registered → Send → Sent → RegistrationEmailSent',
  );
  t.match(page.text, /\+0 ms/, 'times are offsets from the first message');
  t.match(page.text, /7 messages, the first at/, 'and the page counts them');
  t.notOk(page.text.includes('trace.me@example.com'), 'no address on the page');

  // Links made before the trace-id index named a position to search around; they still work.
  const older = await request(app)
    .get(`${url}?at=${register!.globalPosition}&all=1`)
    .set('cookie', admin.cookie)
    .expect(200);
  t.equal(drawnTree(older.text), drawnTree(page.text), 'an older link with a position draws the same tree');
});

test('admin traces: unknown and malformed trace ids are a 404, not a 500', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [tracesSection]);
  await system.messageStore.write(`${uniqueCategory()}-1`, {
    id: randomUUID(),
    type: 'Lonely',
    data: {},
    metadata: { traceId: randomUUID() },
  });
  for (const url of [
    `/admin/traces/${randomUUID()}`,
    `/admin/traces/${'x'.repeat(201)}`,
    '/admin/traces/a%00b',
    '/admin/traces/',
  ]) {
    const response = await request(app).get(url).set('cookie', admin.cookie);
    t.equal(response.status, 404, `${url.slice(0, 60)} → 404`);
  }
});

test('admin traces: the tree puts each message under its cause; no cause, a later cause or one outside the trace hang from the root in time order', (t) => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms));
  const messages: Caused[] = [
    { globalPosition: 10, causedBy: undefined, time: at(0) },
    { globalPosition: 12, causedBy: 10, time: at(5) },
    { globalPosition: 11, causedBy: 10, time: at(3) },
    { globalPosition: 13, causedBy: 12, time: at(9) },
    { globalPosition: 14, causedBy: 99, time: at(7) }, // claims a later cause: not a cycle, a root
    { globalPosition: 15, causedBy: 2, time: at(8) }, // caused by a message of another trace
    { globalPosition: 16, causedBy: undefined, time: at(1) },
  ];
  const shape = (nodes: readonly TraceNode<Caused>[]): unknown =>
    nodes.map((node) =>
      node.children.length > 0 ? { [node.message.globalPosition]: shape(node.children) } : node.message.globalPosition,
    );
  const tree = causationTree(messages);
  t.deepEqual(
    shape(tree),
    [{ 10: [11, { 12: [13] }] }, 16, 14, 15],
    'children under causes, siblings and roots by time',
  );
  t.deepEqual(
    tree.filter((node) => node.causeOutside).map((node) => node.message.globalPosition),
    [14, 15],
    'a cause not drawn is flagged',
  );
  t.end();
});
