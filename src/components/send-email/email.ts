import { parseMessage } from '../../contracts/parse.ts';
import { type Projection } from '../../message-store/index.ts';
import { sendEmailEventSchemas } from '../../contracts/send-email.ts';

/** What the `sendEmail-<emailId>` stream says about one email: has it been answered, and how far have its tries got. */
export interface EmailState {
  readonly answer: 'Sent' | 'Failed' | undefined;
  /** Tries that failed for a reason that may pass (one per DeliveryDeferred); 0 before any. */
  readonly attempts: number;
  /** The first failed try's time (ISO 8601): the retry window counts from it. */
  readonly failingSince: string | undefined;
}

// Only the type of an answer matters: whether one exists, not what it says, decides "do nothing".
// A deferral is read against the contract, since its numbers decide when to give up.
export const emailProjection: Projection<EmailState> = {
  init: () => ({ answer: undefined, attempts: 0, failingSince: undefined }),
  apply: {
    Sent: (state) => ({ ...state, answer: 'Sent' }),
    Failed: (state) => ({ ...state, answer: 'Failed' }),
    DeliveryDeferred: (state, message) => {
      const deferred = parseMessage(sendEmailEventSchemas, message);
      if (deferred?.type !== 'DeliveryDeferred') return state;
      return { ...state, attempts: deferred.data.attempts, failingSince: deferred.data.failingSince };
    },
  },
};
