import { randomUUID } from 'node:crypto';
import type { Metadata } from '../../message-store/index.ts';
import type { Send } from '../../contracts/send-email.ts';

/** A valid Send, for tests here and in the components that send email; override what the test is about. */
export function sendControl(data: Partial<Send['data']> = {}, metadata: Metadata = {}): Send {
  return {
    id: randomUUID(),
    type: 'Send',
    data: {
      emailId: randomUUID(),
      to: 'ada@example.com',
      subject: 'Welcome to Video Tutorials',
      text: 'Thanks for registering, Ada.',
      html: '<p>Thanks for registering, <b>Ada</b>.</p>',
      ...data,
    },
    metadata,
  };
}
