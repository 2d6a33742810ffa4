import { randomBytes } from 'node:crypto';
import test from 'tape';
import { ChainRewrittenError, createTipGuard } from '../../src/aggregators/audit-chain/tip.ts';

const tipAt = (globalPosition: number) => ({ globalPosition, link: randomBytes(32) });
const throwsRewritten = (fn: () => void): boolean => {
  try {
    fn();
    return false;
  } catch (error) {
    return error instanceof ChainRewrittenError;
  }
};

test('tip guard: learns the stored tip, then accepts only the tips it left, committed or rolled back', (t) => {
  const guard = createTipGuard();
  const [first, second, third] = [tipAt(4), tipAt(8), tipAt(12)];
  guard.check(first);
  t.ok(
    throwsRewritten(() => guard.check({ globalPosition: 4, link: randomBytes(32) })),
    'the same position with another link: rewritten',
  );
  t.ok(
    throwsRewritten(() => guard.check(undefined)),
    'every link gone: rewritten',
  );
  guard.appended(first, second);
  guard.check(second);
  guard.check(first);
  t.pass('after appending, the new tip (committed) and the old one (rolled back) both pass');
  guard.appended(second, third);
  t.ok(
    throwsRewritten(() => guard.check(first)),
    'two appends on, the first tip is a cut-short chain',
  );
  t.ok(
    throwsRewritten(() => guard.check(tipAt(12))),
    'a recomputed tip is refused',
  );
  guard.forget();
  guard.check(tipAt(20));
  t.pass('forgotten (a restart, a takeover): the stored tip is trusted again');
  t.end();
});

test('tip guard: an empty chain is a tip too', (t) => {
  const guard = createTipGuard();
  guard.check(undefined);
  guard.check(undefined);
  t.ok(
    throwsRewritten(() => guard.check(tipAt(3))),
    'links that appeared from nowhere',
  );
  t.end();
});
