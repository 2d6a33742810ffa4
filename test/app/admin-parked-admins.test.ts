import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { parkedSection } from '../../src/app/admin/parked/index.ts';
import { ERASED } from '../../src/personal-data/seal.ts';
import { adminSectionApp } from '../helpers/admin-section-app.ts';
import { message } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

/** The Admin cell of each row of the page's "Lately" table, in order. */
const adminCells = (html: string): string[] =>
  [
    ...html.matchAll(
      /<tr><td><a href="\/admin\/messages\/\d+">[^<]*<\/a><\/td>.*?<\/td><td>.*?<\/td><td>(.*?)<\/td><\/tr>/g,
    ),
  ].map((match) => match[1]!);

test('admin parked: who replayed or discarded a message shows as their address, linked to their page, not as an id', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [parkedSection]);
  const [listed, erased, unknown] = [randomUUID(), randomUUID(), randomUUID()];
  await system.db('admin_users').insert([
    { user_id: listed, email: 'grace.admin@example.com' },
    { user_id: erased, email: ERASED },
  ]);
  const acted = async (adminId: string, type: string, data: Record<string, unknown>) =>
    system.messageStore.write(
      adminActionsStreamName(adminId),
      message(
        type,
        { adminId, subscriberId: 'components:test', messageId: randomUUID(), ...data },
        { userId: adminId },
      ),
    );
  await acted(admin.userId, 'ParkedMessageReplayed', { outcome: 'handled' });
  await acted(listed, 'ParkedMessageDiscarded', { reason: 'never valid' });
  await acted(erased, 'ParkedMessageDiscarded', { reason: 'never valid' });
  await acted(unknown, 'ParkedMessageReplayed', { outcome: 'handled' });

  const page = await request(app).get('/admin/parked').set('cookie', admin.cookie).expect(200);
  const cells = adminCells(page.text);
  t.equal(cells.length, 4, 'four actions listed');
  t.match(
    cells[3] ?? '',
    new RegExp(`<a href="/admin/users/${admin.userId}" title="User ${admin.userId}">user-[^<]+@example\\.com</a>`),
    'an admin the users list has not caught up with: from their credentials',
  );
  t.match(
    cells[2] ?? '',
    new RegExp(`<a href="/admin/users/${listed}"[^>]*>grace\\.admin@example\\.com</a>`),
    'a listed admin: their address, linked',
  );
  t.match(cells[1] ?? '', /\[erased\]/, 'an erased admin: [erased]');
  t.equal(cells[0], `<code>${unknown}</code>`, 'an id no one knows: the id itself');
});
