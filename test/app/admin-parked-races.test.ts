import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DEFAULT_POOL_MAX } from '../../src/config/defaults.ts';
import test from 'tape';
import { v5 as uuidV5 } from 'uuid';
import { ADMIN_ACTIONS_CATEGORY } from '../../src/contracts/admin-actions.ts';
import { adminActionId } from '../../src/app/admin/shared/record-admin-action.ts';
import { parkedLockKey } from '../../src/app/admin/parked/claim.ts';
import { parkedSection } from '../../src/app/admin/parked/index.ts';
import { replayThroughProcessors } from '../../src/app/admin/parked/replay.ts';
import type { RawMessage } from '../../src/message-store/index.ts';
import { FROM_THIS_SITE } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN, type AdminSectionApp } from '../helpers/admin-section-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { componentProcessor, processorContext } from '../helpers/subscribers.ts';
import { createTestSystem, FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;

/** A component whose handler fails until mended, then waits at a gate the test opens. */
async function parkedSetup(system: TestSystem) {
  const store = system.messageStore;
  const category = uniqueCategory();
  let mended = false;
  let entered = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const handled: RawMessage[] = [];
  const processor = componentProcessor(store, category, async (m) => {
    if (!mended) throw new Error('not yet');
    entered += 1;
    await gate;
    handled.push(m);
  });
  const replayParked = replayThroughProcessors([[`components:test:${category}`, processor]], {
    retry: FAST_RETRY,
    logger: silentLogger,
  });
  await store.write(`${category}-1`, message('Fragile'));
  await processor.process(await store.readCategory(category), 0, processorContext());
  const [parked] = await store.readStream(processor.deadLetterStream);
  return {
    parked: parked!,
    replayParked,
    handled,
    deadLetters: () => store.readStream(processor.deadLetterStream),
    mend: () => void (mended = true),
    entered: () => entered,
    open: () => open(),
  };
}

const post = (site: AdminSectionApp, url: string, form: Record<string, string> = {}) =>
  request(site.app)
    .post(url)
    .set('cookie', site.admin.cookie)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: CSRF_TOKEN, ...form });

/** Every admin action of a type, in all admins' streams. */
async function actions(system: TestSystem, type: string): Promise<RawMessage[]> {
  return (await system.messageStore.readCategory(ADMIN_ACTIONS_CATEGORY)).filter((m) => m.type === type);
}

// Several requests at once, each holding a connection: the production pools, so what is raced is
// the admins' actions, not a connection.
const RACING = { poolMax: DEFAULT_POOL_MAX };

test('admin action ids: version-5 UUIDs, the same for the same name', (t) => {
  t.equal(
    adminActionId('discard/x'),
    uuidV5('discard/x', '3b0f6a52-8c1e-4d6f-9a0b-5e7d2c41f8a3'),
    'what the uuid package makes',
  );
  t.notEqual(adminActionId('discard/x'), adminActionId('replay/x/0'));
  t.end();
});

test('admin parked: discards posted at once — by one admin several times, and by two admins in two processes — leave one ParkedMessageDiscarded', async (t) => {
  const system = await createTestSystem(RACING);
  closeAtEnd(t, () => system.stop());
  const setup = await parkedSetup(system);
  // Two apps over one store: two admins, and two processes (each app has its own section).
  const [one, two] = [await adminSectionApp(system, [parkedSection]), await adminSectionApp(system, [parkedSection])];
  const url = `/admin/parked/${setup.parked.globalPosition}/discard`;
  const answers = await Promise.all([
    ...Array.from({ length: 4 }, (_, n) => post(one, url, { reason: `one ${n}`, confirm: 'DISCARD' })),
    ...Array.from({ length: 4 }, (_, n) => post(two, url, { reason: `two ${n}`, confirm: 'DISCARD' })),
  ]);
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 303).length, 1, `one discard went through (${statuses.join(', ')})`);
  t.ok(
    statuses.every((status) => status === 303 || status === 409),
    'the others were told it is done: 409',
  );
  const discards = await actions(system, 'ParkedMessageDiscarded');
  t.equal(discards.length, 1, 'one ParkedMessageDiscarded in the store');
  t.equal(
    discards[0]?.metadata.causationMessageGlobalPosition,
    setup.parked.globalPosition,
    'about the Parked message',
  );
});

test('admin parked: replays posted at once run the handler once; the others are a 409 straight away', async (t) => {
  const system = await createTestSystem(RACING);
  closeAtEnd(t, () => system.stop());
  const setup = await parkedSetup(system);
  // Held after the route checked the message is waiting and before the engine marks it replayed: the window two replays could share.
  let held = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const replayParked: typeof setup.replayParked = async (subscriberId, parked) => {
    held += 1;
    await released;
    return setup.replayParked(subscriberId, parked);
  };
  const site = await adminSectionApp(system, [parkedSection], { replayParked });
  setup.mend();
  setup.open();
  const url = `/admin/parked/${setup.parked.globalPosition}/replay`;
  const answered: number[] = [];
  const posted = Array.from({ length: 5 }, () =>
    post(site, url).then((answer) => (answered.push(answer.status), answer.status)),
  );
  // Either the four others are answered while the first is held, or (were there no claim) a second reaches the engine.
  await waitUntil(
    'four answers while one replay is held, or a second replay',
    () => (answered.length === 4 && held === 1) || held > 1,
  );
  t.deepEqual(answered, [409, 409, 409, 409], 'the others: 409 while it runs');
  release();
  t.deepEqual((await Promise.all(posted)).sort(), [303, 409, 409, 409, 409], 'and it went through');
  t.equal(held, 1, 'one replay reached the engine');
  t.equal(setup.handled.length, 1, 'the handler ran once');
  t.equal((await setup.deadLetters()).filter((m) => m.type === 'Replayed').length, 1, 'one Replayed');
  t.equal((await actions(system, 'ParkedMessageReplayed')).length, 1, 'one ParkedMessageReplayed');
});

test('admin parked: while another process replays a Parked message (it holds the lock), this one can neither replay nor discard it', async (t) => {
  const system = await createTestSystem(RACING);
  closeAtEnd(t, () => system.stop());
  const setup = await parkedSetup(system);
  const site = await adminSectionApp(system, [parkedSection], { replayParked: setup.replayParked });
  setup.mend();
  setup.open();
  const other = await system.messageStorePool.connect();
  try {
    await other.query('SELECT pg_advisory_lock($1::int, $2::int)', parkedLockKey(setup.parked.globalPosition));
    const url = `/admin/parked/${setup.parked.globalPosition}`;
    t.equal((await post(site, `${url}/replay`)).status, 409, 'a replay → 409');
    t.equal((await post(site, `${url}/discard`, { reason: 'meanwhile' })).status, 409, 'a discard → 409');
    t.equal(setup.entered(), 0, 'the handler did not run');
    t.deepEqual(
      (await setup.deadLetters()).map((m) => m.type),
      ['Parked'],
      'no Replayed',
    );
    t.equal(
      (await actions(system, 'ParkedMessageDiscarded')).length +
        (await actions(system, 'ParkedMessageReplayed')).length,
      0,
      'nothing recorded',
    );
    await other.query('SELECT pg_advisory_unlock($1::int, $2::int)', parkedLockKey(setup.parked.globalPosition));
  } finally {
    other.release();
  }
  t.equal(
    (await post(site, `/admin/parked/${setup.parked.globalPosition}/replay`)).status,
    303,
    'once it is let go, the replay goes through',
  );
  t.equal(setup.handled.length, 1, 'and the handler runs');
});

test('admin parked: a replay that failed before the engine took it is recorded, and trying again is a new attempt, recorded too', async (t) => {
  const system = await createTestSystem(RACING);
  closeAtEnd(t, () => system.stop());
  const store = system.messageStore;
  const category = uniqueCategory();
  const processor = componentProcessor(store, category, async () => undefined);
  const replayParked = replayThroughProcessors([[`components:test:${category}`, processor]], {
    retry: FAST_RETRY,
    logger: silentLogger,
  });
  // A Parked message whose original is not where it says: the engine refuses it before writing Replayed.
  const data = {
    subscriberId: `components:test:${category}`,
    message: { id: randomUUID(), streamName: `${category}-gone`, position: 0, globalPosition: 1, type: 'Gone' },
    error: 'boom',
    attempts: 3,
  };
  await store.write(processor.deadLetterStream, message('Parked', data));
  const [parked] = await store.readStream(processor.deadLetterStream);
  const site = await adminSectionApp(system, [parkedSection], { replayParked });
  for (const attempt of [1, 2])
    t.equal(
      (await post(site, `/admin/parked/${parked!.globalPosition}/replay`)).status,
      303,
      `attempt ${attempt} → 303`,
    );
  const recorded = await actions(system, 'ParkedMessageReplayed');
  t.equal(recorded.length, 2, 'both attempts are on record');
  t.ok(
    recorded.every((m) => /^failed: /.test((m.data as { outcome: string }).outcome)),
    'each saying it failed',
  );
});
