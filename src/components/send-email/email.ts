import type { Projection } from '../../message-store/index.ts';

/** What the `sendEmail-<emailId>` stream says about one email: has it been answered, and how. */
export interface EmailState {
  readonly answer: 'Sent' | 'Failed' | undefined;
}

// Only the type matters here: whether an answer exists, not what it says, decides "do nothing".
export const emailProjection: Projection<EmailState> = {
  init: () => ({ answer: undefined }),
  apply: {
    Sent: () => ({ answer: 'Sent' }),
    Failed: () => ({ answer: 'Failed' }),
  },
};
