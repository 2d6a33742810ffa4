import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'tape';
import { counted, plural } from '../../src/plural.ts';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';

type Locals = Record<string, unknown>;
// pug ships no types (as in src/components/identity/registration-email.ts): the two functions used.
const pug = createRequire(import.meta.url)('pug') as {
  render(source: string, options: Locals): string;
  renderFile(file: string, options: Locals): string;
};

// The admin templates that print a count, rendered with a count of one: the noun must follow it.
const ADMIN = path.resolve(import.meta.dirname, '../../src/app/admin');
const render = (source: string, filename: string, locals: Record<string, unknown>): string =>
  pug
    .render(source, { filename, basedir: COMMON_VIEWS_DIR, plural, counted, ...locals })
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ');
const renderFile = (file: string, locals: Record<string, unknown>): string =>
  pug
    .renderFile(path.join(ADMIN, file), { basedir: COMMON_VIEWS_DIR, plural, counted, ...locals })
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ');

const run = (done: number, total: number) => ({
  state: 'done',
  running: false,
  stale: false,
  phase: 'replaying',
  done,
  total,
  percent: 100,
  skipped: 0,
  eta: undefined,
  startedAt: '2026-12-06 10:00:00 UTC',
  startedIso: '2026-12-06T10:00:00.000Z',
  took: '1 s',
  requestedBy: 'cli',
  error: null,
});

test('admin count words: a rebuild that read one message says "1 message"', (t) => {
  const mixins = path.join(ADMIN, 'rebuild/templates/mixins.pug');
  const summary = render('include mixins\n+runSummary(run)', mixins, { run: run(1, 1) });
  t.match(summary, /1 message read/, summary);
  t.doesNotMatch(summary, /1 messages/);
  t.match(
    render('include mixins\n+runSummary(run)', mixins, { run: run(2, 2) }),
    /2 messages read/,
    'and the plural for more',
  );
  const bar = render('include mixins\n+runBar(run)', mixins, { run: run(0, 1) });
  t.match(bar, /0 of 1 message \(/, bar);
  t.end();
});

test('admin count words: a trace of one message says "1 message", not "1 messages … the last 0 ms later"', (t) => {
  const node = {
    offset: '+0 ms',
    href: '/admin/messages/1',
    type: 'VideoViewed',
    globalPosition: 1,
    streamHref: '/admin/streams/x',
    streamName: 'viewing-1',
    timeIso: '2026-12-06T10:00:00.000Z',
    time: '10:00:00',
    causeOutsideHref: undefined,
    children: [],
  };
  const page = renderFile('traces/templates/admin-trace.pug', {
    title: 'Trace',
    traceId: 't',
    nodes: [node],
    count: 1,
    truncated: false,
    limit: 500,
    startedAt: '2026-12-06 10:00:00 UTC',
    lasted: '0 ms',
    csrfToken: 'x',
    searched: undefined,
    window: 1000,
  });
  t.match(page, /1 message, at 2026-12-06 10:00:00 UTC\./, 'one message: when it was written');
  t.doesNotMatch(page, /1 messages|0 ms later/);
  const two = renderFile('traces/templates/admin-trace.pug', {
    title: 'Trace',
    traceId: 't',
    nodes: [node, node],
    count: 2,
    truncated: false,
    limit: 500,
    startedAt: '2026-12-06 10:00:00 UTC',
    lasted: '5 ms',
    csrfToken: 'x',
    searched: undefined,
    window: 1000,
  });
  t.match(two, /2 messages, the first at 2026-12-06 10:00:00 UTC, the last 5 ms later\./, 'more: the span');
  t.end();
});

test('admin count words: a subscriber parked after one attempt says "1 attempt"', (t) => {
  const subscriber = {
    subscriberId: 'send-email',
    kind: 'component',
    member: undefined,
    category: 'sendEmail:command',
    state: 'running',
    failure: {
      label: 'Last parked:',
      type: 'Send',
      href: '/admin/messages/1',
      error: 'boom',
      at: '10:00',
      attempts: 1,
    },
    notes: [],
    position: '1',
    head: '1',
    behind: '0',
    oldestWaiting: '',
    parked: '1',
    parkedHref: '/admin/parked',
  };
  const page = renderFile('subscribers/templates/admin-subscribers.pug', {
    title: 'Subscribers',
    subscribers: [subscriber],
    parkedMore: false,
  });
  t.match(page, /after 1 attempt,/, 'one attempt');
  t.doesNotMatch(page, /1 attempts/);
  t.end();
});
