import { v5 as uuidV5 } from 'uuid';

// Fixed: changing it would give a redelivered message new answer ids, and the store's
// idempotent write would then let a second answer through.
const ANSWER_NAMESPACE = 'c1a6f3e2-8b4d-4e7a-9f05-2d7c3b9e6a14';

/**
 * The id of the `type` event written in answer to message `causeId` (`part` tells apart
 * several of one type, such as progress steps). Handling the message again, after a crash or
 * in a race, builds the same id, and the store returns the first write instead of adding one.
 */
export function answerId(causeId: string, type: string, part = ''): string {
  return uuidV5(`${causeId}/${type}${part && `/${part}`}`, ANSWER_NAMESPACE);
}
