import { categoryLags, type LagQuestion } from '../../src/message-queries/lag.ts';
import { lastDataOfType } from '../../src/message-queries/last-of-type.ts';
import { ALL_CATEGORIES } from '../../src/subscription/subscription.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// The dashboard's subscriber figures in one statement each: every subscriber's lag, and every
// component's last Read, answered in the order asked, each as it would be asked alone.

scopedTest(
  'category lags: each subscriber’s head, messages behind and wait, in the order asked, for a category, a group member and every category',
  async (t, scope) => {
    const { store, pool } = await openTestStore(scope);
    const alpha = uniqueCategory('alpha');
    const beta = uniqueCategory('beta');
    for (const stream of [`${alpha}-1`, `${beta}-1`, `${alpha}-2`, `${alpha}-3`, `${beta}-2`, `${alpha}-4`])
      await store.write(stream, message('Tick'));
    const written = (
      await pool.query<{ stream: string; position: string }>(
        `SELECT stream_name AS stream, global_position AS position FROM messages
          WHERE category(stream_name) = ANY($1) ORDER BY global_position`,
        [[alpha, beta]],
      )
    ).rows.map((row) => ({ stream: row.stream, position: Number(row.position) }));
    // Each stream's consumer-group member of two, as Message DB computes it.
    const memberOf = new Map(
      (
        await pool.query<{ stream: string; member: string }>(
          `SELECT s AS stream, MOD(@hash_64(cardinal_id(s)), 2) AS member FROM unnest($1::text[]) s`,
          [written.map(({ stream }) => stream)],
        )
      ).rows.map((row) => [row.stream, Number(row.member)]),
    );
    const head = Math.max(...written.map(({ position }) => position));
    const expected = (question: LagQuestion) => {
      const theirs = written.filter(
        ({ stream }) =>
          (question.category === ALL_CATEGORIES || stream.startsWith(`${question.category}-`)) &&
          (question.group.size === 1 || memberOf.get(stream) === question.group.member),
      );
      const behind = theirs.filter(({ position }) => position > question.position).length;
      return { head: Math.max(0, ...theirs.map(({ position }) => position)), behind };
    };
    const middle = written[2]!.position;
    const questions: LagQuestion[] = [
      { category: beta, position: 0, group: { size: 1, member: 0 } },
      { category: alpha, position: middle, group: { size: 1, member: 0 } },
      { category: alpha, position: 0, group: { size: 2, member: 0 } },
      { category: alpha, position: 0, group: { size: 2, member: 1 } },
      { category: ALL_CATEGORIES, position: middle, group: { size: 1, member: 0 } },
      { category: uniqueCategory('empty'), position: 0, group: { size: 1, member: 0 } },
    ];
    const lags = await categoryLags(pool, questions);
    t.deepEqual(
      lags.map(({ head: h, behind }) => ({ head: h, behind })),
      questions.map(expected),
      'each one’s head and count, in the order asked',
    );
    t.ok(
      lags.every((lag, n) => (expected(questions[n]!).behind > 0 ? lag.waitingSeconds > 0 : lag.waitingSeconds === 0)),
      'a wait only where something waits',
    );
    t.ok(lags[4]!.head >= head, 'every category’s head is the store’s');
    t.deepEqual(await categoryLags(pool, []), [], 'nothing asked, nothing read');
  },
);

scopedTest(
  'last data of a type: each stream’s last message of that type, none for a stream without one',
  async (t, scope) => {
    const { store, pool } = await openTestStore(scope);
    const category = uniqueCategory('positions');
    await store.write(`${category}-a`, message('Read', { position: 1 }));
    await store.write(`${category}-a`, message('Read', { position: 7 }));
    await store.write(`${category}-a`, message('Other', { position: 99 }));
    await store.write(`${category}-b`, message('Read', { position: 3 }));
    await store.write(`${category}-c`, message('Other', { position: 5 }));
    const last = await lastDataOfType(
      pool,
      [`${category}-a`, `${category}-b`, `${category}-c`, `${category}-d`],
      'Read',
    );
    t.deepEqual(
      [...last.entries()].sort(),
      [
        [`${category}-a`, { position: 7 }],
        [`${category}-b`, { position: 3 }],
      ],
      'the newest Read of each, not a later message of another type; nothing for streams without one',
    );
    // Asked as one array: a branch a stream hit PostgreSQL's stack depth past 7,273 streams.
    const many = Array.from({ length: 10_000 }, (_, n) => `${category}-none${n}`);
    const found = await lastDataOfType(pool, [...many, `${category}-b`, `${category}-b`], 'Read');
    t.deepEqual(
      [...found.entries()],
      [[`${category}-b`, { position: 3 }]],
      'ten thousand streams, one repeated: one answer',
    );
  },
);
