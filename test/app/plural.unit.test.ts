import test from 'tape';
import { counted, plural } from '../../src/plural.ts';

test('plural: one is singular, every other count (0 too) is plural', (t) => {
  t.equal(plural(1, 'video'), 'video');
  t.equal(plural(0, 'video'), 'videos', 'English says "0 videos"');
  t.equal(plural(2, 'video'), 'videos');
  t.equal(plural(2, 'try', 'tries'), 'tries', 'an irregular plural is given');
  t.equal(plural(1, 'try', 'tries'), 'try');
  t.end();
});

test('counted: the count grouped by thousands, then its noun', (t) => {
  t.equal(counted(1, 'parked message'), '1 parked message', 'not "1 parked messages"');
  t.equal(counted(3, 'parked message'), '3 parked messages');
  t.equal(counted(1204, 'view'), '1,204 views');
  t.equal(counted(1, 'minute'), '1 minute', 'not "1 minute(s)"');
  t.equal(counted(15, 'minute'), '15 minutes', 'not "15 minute(s)"');
  t.end();
});
