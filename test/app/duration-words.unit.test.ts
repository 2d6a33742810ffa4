import test from 'tape';
import { durationInWords } from '../../src/web/duration-words.ts';

test('duration in words: as a person says it, rounded up, singular or plural', (t) => {
  t.equal(durationInWords(1), '1 second');
  t.equal(durationInWords(0.2), '1 second', 'never less than a second');
  t.equal(durationInWords(40), '40 seconds');
  t.equal(durationInWords(60), '1 minute');
  t.equal(durationInWords(61), '2 minutes', 'rounded up: nobody comes back too early');
  t.equal(durationInWords(180), '3 minutes');
  t.equal(durationInWords(4 * 60 - 5), '4 minutes');
  t.equal(durationInWords(15 * 60), '15 minutes');
  t.equal(durationInWords(90 * 60), '90 minutes');
  t.equal(durationInWords(91 * 60), '2 hours');
  t.equal(durationInWords(3 * 3600), '3 hours');
  t.end();
});
