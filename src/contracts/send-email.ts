import { z } from 'zod';
import { streamName, type MessagesOf } from '../message-store/index.ts';
import { isSealed, personalField } from '../personal-data/seal.ts';
import { LINK_PLACEHOLDER, LINK_PURPOSES } from '../account-links/index.ts';

export const SEND_EMAIL_CATEGORY = 'sendEmail';
export const SEND_EMAIL_COMMAND_CATEGORY = 'sendEmail:command';
/** Names the position and dead-letter streams: renaming it resends every email in the category's history that has no answer. */
export const SEND_EMAIL_SUBSCRIBER_ID = 'components:send-email';
/**
 * Reads the component's own events to keep the list of deferred emails and when each is due.
 * Its stored position stays before the oldest deferral not yet retried, so a restart reads
 * every one of those again; renaming it reads the category's whole history once.
 */
export const SEND_EMAIL_RETRIES_SUBSCRIBER_ID = 'components:send-email:retries';

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
const sealedNeedsOwner = (data: { to: unknown; sealedFor?: string | undefined }): boolean =>
  !isSealed(data.to) || data.sealedFor !== undefined;
const NEEDS_OWNER = { message: 'a sealed to needs sealedFor', path: ['sealedFor'] };

/**
 * An account link (password reset, email verification) the email carries at LINK_PLACEHOLDER:
 * send-email appends the request's signed token to `url` at delivery, so the token itself is in
 * no message (src/account-links).
 */
const link = z
  .object({ purpose: z.enum(LINK_PURPOSES), requestId: z.uuid(), url: z.url({ protocol: /^https?$/ }) })
  .optional();
const linkHasAPlace = (data: { text: string; link?: unknown }): boolean =>
  data.link === undefined || data.text.includes(LINK_PLACEHOLDER);
const NEEDS_PLACE = { message: `a link needs ${LINK_PLACEHOLDER} in the text`, path: ['link'] };

/** How many tries have failed so far for a reason that may pass (the first try counts). */
const attempts = z.number().int().positive();

export const sendEmailCommandSchemas = {
  Send: z
    .object({ emailId: z.uuid(), to: recipient, sealedFor, subject, text: z.string().min(1), html: z.string(), link })
    .refine(sealedNeedsOwner, NEEDS_OWNER)
    .refine(linkHasAPlace, NEEDS_PLACE),
  /**
   * Written by the component's own retry schedule when a DeliveryDeferred falls due: try the
   * email (its Send, in the same command stream) again. `attempts` is the deferral's, so a
   * retry that another one overtook is recognised and ignored.
   */
  RetrySend: z.object({ emailId: z.uuid(), attempts }),
} as const;

// `to` and `sealedFor` are copied from the Send as they are: a sealed recipient stays sealed.
export const sendEmailEventSchemas = {
  Sent: z.object({ emailId: z.uuid(), to: recipient, sealedFor, subject }),
  Failed: z.object({ emailId: z.uuid(), to: recipient, sealedFor, reason: z.string() }),
  /**
   * Not accepted yet, for a reason that may pass (a 4xx reply, a server or mail folder that
   * cannot be reached or written): tried again at `nextAttemptAt`. `failingSince` is the first
   * failed try's time, from which the retry window counts. Times are ISO 8601 in UTC.
   */
  DeliveryDeferred: z.object({
    emailId: z.uuid(),
    attempts,
    reason: z.string(),
    failingSince: z.iso.datetime(),
    nextAttemptAt: z.iso.datetime(),
  }),
} as const;

/** Failed's reason when a sealed `to` no longer opens: the user was erased before delivery. */
export const RECIPIENT_ERASED = 'the recipient was erased';

export type SendEmailCommand = MessagesOf<typeof sendEmailCommandSchemas>;
export type SendEmailEvent = MessagesOf<typeof sendEmailEventSchemas>;
export type Send = Extract<SendEmailCommand, { type: 'Send' }>;
export type Sent = Extract<SendEmailEvent, { type: 'Sent' }>;
export type Failed = Extract<SendEmailEvent, { type: 'Failed' }>;
export type RetrySend = Extract<SendEmailCommand, { type: 'RetrySend' }>;
export type DeliveryDeferred = Extract<SendEmailEvent, { type: 'DeliveryDeferred' }>;

/** Where a sender writes `Send`; one stream per email, so its id is the email's. */
export const sendEmailCommandStreamName = (emailId: string): string => streamName(SEND_EMAIL_COMMAND_CATEGORY, emailId);
/** Where the answer (`Sent` or `Failed`, at most one per email) and any deferrals before it are written. */
export const sendEmailStreamName = (emailId: string): string => streamName(SEND_EMAIL_CATEGORY, emailId);
