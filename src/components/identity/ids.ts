import { v5 as uuidV5 } from 'uuid';

// Fixed namespaces: changing one would give a redelivered message new ids, and the store's
// idempotent write would then let it through a second time.
const ANSWER_NAMESPACE = '3d8e6a52-1c4f-4f0b-8e4e-6b2f9a7c5d10';
const REGISTRATION_EMAIL_NAMESPACE = '9a4c7e21-5b3d-4a8f-b1e6-2d0c8f4a7b39';
const RESENT_EMAIL_NAMESPACE = '5e8b1c07-2d4a-4f93-8a6e-0b7c3d9f1e25';

/**
 * The id of the `type` message written in answer to the message `causeId`. Handling the same
 * message again builds the same id, so the store's write returns the first one instead of
 * adding another, even if the already-handled check was passed in a race.
 */
export function answerId(causeId: string, type: string): string {
  return uuidV5(`${causeId}/${type}`, ANSWER_NAMESPACE);
}

/** One welcome email per user, whatever delivers its Registered event and however often. */
export function registrationEmailId(userId: string): string {
  return uuidV5(userId, REGISTRATION_EMAIL_NAMESPACE);
}

/** The welcome email a ResendRegistrationEmail asks for: a new email, one per command however often it is handled. */
export function resentRegistrationEmailId(commandId: string): string {
  return uuidV5(commandId, RESENT_EMAIL_NAMESPACE);
}

const PASSWORD_EMAIL_NAMESPACE = 'c2a7e9d4-6b1f-4e83-9d5a-1f3b8c0e7a62';

/** The email an event about a password asks for (a reset link, a change notice): one per event, however often it is handled. */
export function passwordEmailId(eventId: string): string {
  return uuidV5(eventId, PASSWORD_EMAIL_NAMESPACE);
}

const EMAIL_CHANGE_NAMESPACE = '2b7e4f19-8c3d-4a6e-9f05-1d8a7c2e6b43';

/** The verification request (and link) a ChangeEmail makes: one per command however often it is handled. */
export function emailChangeRequestId(commandId: string): string {
  return uuidV5(commandId, EMAIL_CHANGE_NAMESPACE);
}

/** The two emails an email change sends: the link to the new address, the notice to the current one. */
export function emailChangeEmailIds(requestId: string): { verification: string; notice: string } {
  return {
    verification: uuidV5(`${requestId}/verification`, EMAIL_CHANGE_NAMESPACE),
    notice: uuidV5(`${requestId}/notice`, EMAIL_CHANGE_NAMESPACE),
  };
}
