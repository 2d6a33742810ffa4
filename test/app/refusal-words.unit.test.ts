import test from 'tape';
import { REJECTION_REASONS } from '../../src/contracts/identity.ts';
import { logInHref, refusalWords } from '../../src/app/register-users/refusal-words.ts';

test('refusal words: every reason code the identity component gives is a sentence, never the code', (t) => {
  for (const code of Object.values(REJECTION_REASONS)) {
    const { sentence } = refusalWords(code);
    t.notOk(sentence.includes(code), `"${code}" is not pasted into the sentence`);
    t.match(sentence, /^[A-Z].*\.$/, `"${sentence}" is a sentence`);
  }
  t.deepEqual(refusalWords(REJECTION_REASONS.emailTaken), {
    sentence: 'That email address already has an account.',
    logInInstead: true,
    againLabel: 'Register with another address',
  });
  t.equal(
    refusalWords('some reason from another version').sentence,
    'We could not create this account. Go back to registration and try again.',
    'an unknown code says what to do',
  );
  t.equal(logInHref('a+b@example.com'), '/auth/log-in?email=a%2Bb%40example.com');
  t.end();
});
