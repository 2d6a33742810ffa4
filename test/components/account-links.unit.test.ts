import { randomUUID } from 'node:crypto';
import test from 'tape';
import { createAccountLinks, LINK_PLACEHOLDER } from '../../src/account-links/index.ts';
import { SEND_EMAIL_CATEGORY } from '../../src/contracts/send-email.ts';
import { answersTo, memoryTransport, sendEmailComponent, writeSend } from '../fixtures/send-email-component.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';

test('account links: a token names its request, carries 256 bits of signature, and only its hash matches', (t) => {
  const links = createAccountLinks('cookie secret');
  const requestId = randomUUID();
  const token = links.tokenFor('password-reset', requestId);
  t.equal(links.requestIdOf(token), requestId, 'the request id is read back from the token');
  t.equal(token.split('.')[1]!.length, 43, '43 base64url characters: 256 bits');
  t.ok(links.matches('password-reset', requestId, links.hashOf(token)), 'the hash of the token matches');
  t.notOk(links.matches('verify-email', requestId, links.hashOf(token)), 'a reset link is no verification link');
  t.notOk(links.matches('password-reset', randomUUID(), links.hashOf(token)), 'nor a link for another request');
  t.notOk(links.matches('password-reset', requestId, token), 'the token itself is not its hash');
  t.notOk(links.matches('password-reset', requestId, 'zz'), 'a malformed hash matches nothing');
  t.notOk(
    createAccountLinks('another secret').matches('password-reset', requestId, links.hashOf(token)),
    'another secret signs differently',
  );
  t.equal(links.requestIdOf(`${requestId}.short`), undefined, 'a token of the wrong shape names no request');
  t.equal(links.requestIdOf(`${token}x`), undefined, 'nor one with something after it');
  t.end();
});

scopedTest(
  'send-email: a Send with an account link gets the signed link at delivery, and no message holds the token',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const transport = memoryTransport();
    const accountLinks = createAccountLinks('cookie secret');
    const component = sendEmailComponent(scope, store, transport, { accountLinks });
    const requestId = randomUUID();
    const link = { purpose: 'password-reset' as const, requestId, url: 'https://example.com/auth/reset/' };
    const { emailId } = await writeSend(store, {
      text: `Open ${LINK_PLACEHOLDER} within an hour.`,
      html: `<a href="${LINK_PLACEHOLDER}">reset</a>`,
      link,
    });
    await drain(component.subscription);

    const token = accountLinks.tokenFor('password-reset', requestId);
    t.equal(transport.sent.length, 1, 'one email');
    t.equal(
      transport.sent[0]!.text,
      `Open https://example.com/auth/reset/${token} within an hour.`,
      'the text carries the signed link',
    );
    t.equal(
      transport.sent[0]!.html,
      `<a href="https://example.com/auth/reset/${token}">reset</a>`,
      'and so does the HTML',
    );
    t.deepEqual(
      (await answersTo(store, emailId)).map((m) => m.type),
      ['Sent'],
    );
    const everything =
      JSON.stringify(await store.readCategory(SEND_EMAIL_CATEGORY + ':command')) +
      JSON.stringify(await store.readCategory(SEND_EMAIL_CATEGORY));
    t.notOk(everything.includes(token.split('.')[1]!), 'no message holds the token');
  },
);

scopedTest('send-email: a link with no signer is Failed, saying why, and nothing is sent', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const transport = memoryTransport();
  const component = sendEmailComponent(scope, store, transport);
  const link = {
    purpose: 'verify-email' as const,
    requestId: randomUUID(),
    url: 'https://example.com/account/verify/',
  };
  const { emailId } = await writeSend(store, { text: `Open ${LINK_PLACEHOLDER}`, link });
  await drain(component.subscription);
  t.equal(transport.sent.length, 0, 'nothing sent');
  const [answer] = await answersTo(store, emailId);
  t.equal(answer?.type, 'Failed');
  t.equal((answer?.data as { reason?: string }).reason, 'account links cannot be signed here');
});

scopedTest('send-email: a Send whose link has no place in its text is parked, not sent', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const transport = memoryTransport();
  const component = sendEmailComponent(scope, store, transport, { accountLinks: createAccountLinks('s') });
  const link = {
    purpose: 'verify-email' as const,
    requestId: randomUUID(),
    url: 'https://example.com/account/verify/',
  };
  await writeSend(store, { text: 'no place for it', link });
  await drain(component.subscription);
  t.equal(transport.sent.length, 0, 'nothing sent');
  t.equal(component.subscription.status().parked, 1, 'the command is parked for an operator');
});
