import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { DEFAULT_POOL_MAX } from '../../src/config/defaults.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import knex from 'knex';
import request from 'supertest';
import test from 'tape';
import { FROM_THIS_SITE, logIn, seedAccount } from '../helpers/accounts.ts';
import { createScope, type Scope } from '../helpers/scope.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd, scopedTest } from '../helpers/scoped-test.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;

/** The app on a real socket: a trickling client is about sockets, which supertest hides. */
async function listening(scope: Scope, system: TestSystem): Promise<number> {
  const server = http.createServer(system.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  scope.add(server, (s) => {
    s.closeAllConnections();
    return new Promise((resolve) => s.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

interface Trickle {
  /** The status the server answered with, 0 if it cut the connection without one. */
  readonly answer: Promise<number>;
  /** True once the server has closed the connection. */
  closed(): boolean;
  stop(): void;
}

/** A client that sends `head` at once, then one byte of `body` every `everyMs`, as a hostile client does. */
function trickle(
  port: number,
  {
    method = 'POST',
    path,
    headers,
    head,
    everyMs,
  }: { method?: string; path: string; headers: Record<string, string>; head: string; everyMs: number },
): Trickle {
  let closed = false;
  const req = http.request({ port, host: '127.0.0.1', path, method, headers });
  const answer = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('close', () => {
      closed = true;
      resolve(0);
    });
  });
  req.write(head);
  const timer = setInterval(() => {
    if (!closed) req.write('a');
  }, everyMs);
  req.on('close', () => clearInterval(timer));
  return {
    answer,
    closed: () => closed,
    stop() {
      clearInterval(timer);
      req.destroy();
    },
  };
}

async function creator(system: TestSystem) {
  const account = await seedAccount(system.db, { verified: true });
  const agent = request.agent(system.app);
  const answer = await logIn(agent, account.email, account.password);
  if (answer.status !== 303) throw new Error(`log-in failed: ${answer.status}`);
  const cookie = ([] as string[])
    .concat(answer.headers['set-cookie'] ?? [])
    .map((value) => value.split(';')[0])
    .join('; ');
  const page = await agent.get('/creators-portal').expect(200);
  const action = /action="(\/creators-portal\/videos\?_csrf=[^"]+)"/.exec(page.text)?.[1]?.replaceAll('&amp;', '&');
  if (!action) throw new Error('no upload form');
  return { agent, cookie, action };
}

const BOUNDARY = 'slow-client-boundary';
const FILE_PART_HEAD = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="video"; filename="slow.mp4"\r\nContent-Type: video/mp4\r\n\r\n`;

scopedTest(
  'slow clients: a form body trickled to an ordinary route is cut off at the body deadline, not held for hours',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ poolMax: DEFAULT_POOL_MAX, requestBodyTimeoutMs: 400 }), (s) =>
      s.stop(),
    );
    const port = await listening(scope, system);
    const started = Date.now();
    const client = scope.add(
      trickle(port, {
        path: '/auth/log-in',
        headers: { ...FROM_THIS_SITE, 'content-type': 'application/x-www-form-urlencoded', 'content-length': '10000' },
        head: 'email=',
        everyMs: 50,
      }),
      (c) => c.stop(),
    );
    await waitUntil('the server to close the trickled request', () => client.closed(), { timeoutMs: 10_000 });
    t.pass(`closed after ${Date.now() - started} ms (deadline 400 ms)`);
    t.ok([0, 408].includes(await client.answer), 'with a 408 or no answer at all');
  },
);

scopedTest(
  'slow clients: a body no route reads, trickled on after the page was answered, is still cut at the deadline',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ poolMax: DEFAULT_POOL_MAX, requestBodyTimeoutMs: 400 }), (s) =>
      s.stop(),
    );
    const port = await listening(scope, system);
    // Not a form: no body parser reads it, the page is answered at once, and Node goes on reading
    // the rest on the open connection (for up to the upload's two-hour allowance).
    const client = scope.add(
      trickle(port, {
        method: 'GET',
        path: '/',
        headers: { 'content-type': 'application/octet-stream', 'content-length': '100000' },
        head: 'a',
        everyMs: 50,
      }),
      (c) => c.stop(),
    );
    t.equal(await client.answer, 200, 'the page is answered');
    await waitUntil('the server to close the trickled connection', () => client.closed(), { timeoutMs: 10_000 });
    t.pass('and the connection closed, not held while the body trickles');
  },
);

test('slow clients: a page that answers after the deadline cut its trickled body does not crash the process', async (t) => {
  const scope = createScope();
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => void uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  closeAtEnd(t, async () => {
    process.off('uncaughtException', onUncaught);
    await scope.close();
  });
  const system = scope.add(
    await createTestSystem({ poolMax: DEFAULT_POOL_MAX, requestBodyTimeoutMs: 300, pageCacheMs: 0 }),
    (s) => s.stop(),
  );
  const port = await listening(scope, system);
  // The home page held up (a slow database: here a lock) past the body deadline.
  const locker = scope.add(knex({ client: 'pg', connection: system.urls.databaseUrl }), (k) => k.destroy());
  const lock = await locker.transaction();
  scope.add(lock, (trx) => (trx.isCompleted() ? undefined : trx.rollback()));
  await lock.raw('lock table home_page in access exclusive mode');
  const client = scope.add(
    trickle(port, {
      method: 'GET',
      path: '/',
      headers: { 'content-type': 'text/plain', 'content-length': '10000' },
      head: 'a',
      everyMs: 50,
    }),
    (c) => c.stop(),
  );
  await waitUntil('the deadline to cut the trickled request', () => client.closed(), { timeoutMs: 10_000 });
  t.ok([0, 408].includes(await client.answer), 'cut with a 408 or no answer at all');
  await lock.commit();
  // The held-up page now renders, for a request already answered. Another visitor's page is
  // read after it (or shares its read, then renders after it), so once that one is back the
  // first has had its turn.
  await request(system.app).get('/').expect(200);
  t.deepEqual(uncaught.map(String), [], 'no uncaught exception (it would stop the process)');
});

scopedTest(
  'slow clients: an upload below the minimum rate is cut off, keeps nothing, writes nothing, and frees its slot',
  async (t, scope) => {
    const system = scope.add(
      await createTestSystem({
        poolMax: DEFAULT_POOL_MAX,
        requestBodyTimeoutMs: 400,
        videos: { minUploadBytesPerSecond: 2_000, uploadRateWindowMs: 600 },
      }),
      (s) => s.stop(),
    );
    const port = await listening(scope, system);
    const { agent, cookie, action } = await creator(system);
    const headers = { ...FROM_THIS_SITE, cookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    // Two at once: every upload slot this creator has.
    const slow = [0, 1].map(() =>
      scope.add(trickle(port, { path: action, headers, head: FILE_PART_HEAD, everyMs: 100 }), (c) => c.stop()),
    );
    await waitUntil('both trickled uploads to be cut off', () => slow.every((client) => client.closed()), {
      timeoutMs: 10_000,
    });
    t.pass('both cut off');
    t.equal((await system.messageStore.readCategory('videoPublishing:command')).length, 0, 'no command written');
    const left = await waitUntil('the partial files to go', async () => {
      const files = await readdir(system.videoDir, { recursive: true, withFileTypes: true });
      return files.filter((entry) => entry.isFile()).length === 0 || undefined;
    });
    t.ok(left, 'nothing kept on disk');

    const next = await agent
      .post(action)
      .set(FROM_THIS_SITE)
      .attach('video', randomBytes(64 * 1024), { filename: 'fine.mp4', contentType: 'video/mp4' });
    t.equal(next.status, 303, 'the same creator can upload again at once: the slots came back');
  },
);

scopedTest(
  'slow clients: an upload that takes longer than the body deadline, at a healthy rate, goes through',
  async (t, scope) => {
    // The rate window is wider than any stall a loaded machine gives the event loop (a 600 ms one
    // once measured 0 bytes in a window and answered 408): the subject is the body deadline.
    const system = scope.add(
      await createTestSystem({
        poolMax: DEFAULT_POOL_MAX,
        requestBodyTimeoutMs: 300,
        videos: { minUploadBytesPerSecond: 2_000, uploadRateWindowMs: 2_000 },
      }),
      (s) => s.stop(),
    );
    const port = await listening(scope, system);
    const { cookie, action } = await creator(system);
    const chunk = randomBytes(8 * 1024);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        port,
        host: '127.0.0.1',
        path: action,
        method: 'POST',
        headers: { ...FROM_THIS_SITE, cookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(FILE_PART_HEAD);
      // 8 KB every 100 ms (80 KB/s) for a second: well above the minimum, well past the deadline.
      let sent = 0;
      const timer = setInterval(() => {
        req.write(chunk);
        sent += 1;
        if (sent === 10) {
          clearInterval(timer);
          req.end(`\r\n--${BOUNDARY}--\r\n`);
        }
      }, 100);
    });
    t.equal(status, 303, 'published: the upload route is not held to the ordinary deadline');
    const written = await system.messageStore.readCategory('videoPublishing:command');
    t.equal(written.filter((command) => command.type === 'PublishVideo').length, 1, 'one PublishVideo');
  },
);
