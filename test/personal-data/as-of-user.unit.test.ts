import test from 'tape';
import { userKind } from '../../src/as-of/user.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { RawMessage } from '../../src/message-store/index.ts';
import { ERASED, SEALED } from '../../src/personal-data/seal.ts';
import { fakePasswordHash } from '../fixtures/identity-controls.ts';

const userId = '0b7f5a52-9a43-4d47-b0e4-2f5a2b3c4d5e';
const sealed = { sealed: 'v1', iv: 'AAAAAAAAAAAAAAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', data: 'AAAA' };

function message(type: string, data: Record<string, unknown>, globalPosition: number): RawMessage {
  return {
    id: `00000000-0000-4000-8000-${String(globalPosition).padStart(12, '0')}`,
    streamName: identityStreamName(userId),
    type,
    position: globalPosition - 1,
    globalPosition,
    data,
    metadata: {},
    time: new Date('2026-11-20T09:00:00Z'),
  };
}

const valueOf = (messages: RawMessage[], label: string): string =>
  userKind.fold(messages).fields.find((field) => field.label === label)?.value ?? '';

test('as-of user: a sealed email shows as [sealed], an erased one as [erased], a plain one masked', (t) => {
  const registered = message('Registered', { userId, email: sealed, passwordHash: sealed }, 1);
  t.equal(valueOf([registered], 'Email'), SEALED, 'sealed: [sealed], as docs/personal-data.md says');
  t.equal(
    valueOf([registered, message('UserErased', { userId, by: userId }, 2)], 'Email'),
    ERASED,
    'erased: [erased], told apart from sealed',
  );
  t.equal(
    valueOf(
      [message('Registered', { userId, email: 'ada@example.com', passwordHash: fakePasswordHash() }, 1)],
      'Email',
    ),
    'a•••@example.com',
    'an older plain address: masked',
  );
  t.end();
});

test('as-of user: masks an address left in an older reason', (t) => {
  const state = userKind.fold([
    message(
      'RegistrationRejected',
      { userId, email: 'x@example.com', reason: 'email already registered by x@example.com' },
      1,
    ),
    message('RegistrationEmailFailed', { userId, emailId: userId, reason: '550 <grace@example.com>: no such user' }, 2),
  ]);
  const value = (label: string) => state.fields.find((field) => field.label === label)?.value ?? '';
  t.equal(value('Welcome email'), 'failed: 550 <g•••@example.com>: no such user', 'the welcome email failure, masked');
  t.equal(value('Registered'), 'no: email already registered by x•••@example.com', 'a rejection reason too');
  t.end();
});
