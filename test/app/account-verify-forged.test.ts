import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { identityCommandStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import { FROM_THIS_SITE, postRegistration } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';

scopedTest(
  'email verification: a made-up link posted to someone’s verification page is a 400, and writes nothing to their streams',
  async (t, scope) => {
    const system = scope.running(await createTestSystem());
    system.start();
    const { userId } = await postRegistration(request.agent(system.app), 'ada@example.com', 'correct horse battery');
    await waitUntil(
      'registered',
      async () => (await system.db('user_credentials').where('user_id', userId).first()) !== undefined,
    );

    const stranger = request.agent(system.app);
    const csrf = csrfTokenOf(await stranger.get('/auth/log-in').expect(200));
    // A token of the right shape, but not one this site signed: anyone can make as many as they like.
    for (let i = 0; i < 3; i += 1) {
      const forged = `/account/verify/${userId}/${randomUUID()}.${'A'.repeat(43)}`;
      const posted = await stranger.post(forged).set(FROM_THIS_SITE).type('form').send({ _csrf: csrf });
      t.equal(posted.status, 400, 'refused at once');
      t.match(posted.text, /Copy the whole link/, 'saying what to do');
    }
    t.deepEqual(
      (await system.messageStore.readStream(identityCommandStreamName(userId))).map((message) => message.type),
      ['Register'],
      'no VerifyEmail written for a link this site did not sign',
    );
    // Not a count of the stream: the welcome email's own events go on landing there meanwhile.
    t.deepEqual(
      (await system.messageStore.readStream(identityStreamName(userId)))
        .filter((message) => message.type.startsWith('EmailVerification'))
        .map((m) => m.type),
      [],
      'no refusal added to the user’s own stream',
    );
  },
);
