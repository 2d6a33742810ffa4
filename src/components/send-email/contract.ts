import { z } from 'zod';
import { streamName, type MessagesOf } from '../../message-store/index.ts';
import { isSealed, personalField } from '../../personal-data/seal.ts';

export const SEND_EMAIL_CATEGORY = 'sendEmail';
export const SEND_EMAIL_COMMAND_CATEGORY = 'sendEmail:command';
/** Names the position and dead-letter streams: renaming it resends every email in the category's history that has no answer. */
export const SEND_EMAIL_SUBSCRIBER_ID = 'components:send-email';

/** RFC 5321 caps a forward path at 256 octets including the brackets. */
const MAX_ADDRESS_LENGTH = 254;
/** RFC 5322's line limit; a subject longer than that is a bug in the sender, not an email. */
const MAX_SUBJECT_LENGTH = 998;

const address = z.email().max(MAX_ADDRESS_LENGTH);
// A line break in a subject would let a sender write headers of its own.
const subject = z
  .string()
  .min(1)
  .max(MAX_SUBJECT_LENGTH)
  .regex(/^[^\r\n]*$/, 'no line breaks');

/** A plain address (other senders, messages from before sealing), or one sealed with `sealedFor`'s key. */
const recipient = personalField(address);
/** Whose key (src/personal-data) seals `to`; required with a sealed `to`. */
const sealedFor = z.uuid().optional();
const sealedNeedsOwner = (data: { to: unknown; sealedFor?: string | undefined }): boolean => !isSealed(data.to) || data.sealedFor !== undefined;
const NEEDS_OWNER = { message: 'a sealed to needs sealedFor', path: ['sealedFor'] };

export const sendEmailCommandSchemas = {
  Send: z.object({ emailId: z.uuid(), to: recipient, sealedFor, subject, text: z.string().min(1), html: z.string() }).refine(sealedNeedsOwner, NEEDS_OWNER),
} as const;

// `to` and `sealedFor` are copied from the Send as they are: a sealed recipient stays sealed.
export const sendEmailEventSchemas = {
  Sent: z.object({ emailId: z.uuid(), to: recipient, sealedFor, subject }),
  Failed: z.object({ emailId: z.uuid(), to: recipient, sealedFor, reason: z.string() }),
} as const;

/** Failed's reason when a sealed `to` no longer opens: the user was erased before delivery. */
export const RECIPIENT_ERASED = 'the recipient was erased';

export type SendEmailCommand = MessagesOf<typeof sendEmailCommandSchemas>;
export type SendEmailEvent = MessagesOf<typeof sendEmailEventSchemas>;
export type Send = Extract<SendEmailCommand, { type: 'Send' }>;
export type Sent = Extract<SendEmailEvent, { type: 'Sent' }>;
export type Failed = Extract<SendEmailEvent, { type: 'Failed' }>;

/** Where a sender writes `Send`; one stream per email, so its id is the email's. */
export const sendEmailCommandStreamName = (emailId: string): string => streamName(SEND_EMAIL_COMMAND_CATEGORY, emailId);
/** Where the answer (`Sent` or `Failed`) is written: at most one per email. */
export const sendEmailStreamName = (emailId: string): string => streamName(SEND_EMAIL_CATEGORY, emailId);
