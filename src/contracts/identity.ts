import { v5 as uuidV5 } from 'uuid';
import { z } from 'zod';
import { streamName, type MessagesOf } from '../message-store/index.ts';
import { personalField, sealedSchema } from '../personal-data/seal.ts';

export const IDENTITY_CATEGORY = 'identity';
export const IDENTITY_COMMAND_CATEGORY = 'identity:command';
/** One stream per normalised email: its first message reserves the address for one user. */
export const IDENTITY_EMAIL_CATEGORY = 'identityEmail';
/**
 * One stream per lower-cased handle: EmailReserved's twin, the first writer at the version read
 * holds the handle until a HandleReleased (a change of handle, an erasure).
 */
export const IDENTITY_HANDLE_CATEGORY = 'identityHandle';
/**
 * One stream per role command, holding its one outcome: whoever wrote the command (the admin
 * CLI) learns the decision there, since an unknown email has no user stream to write to.
 */
export const IDENTITY_ROLE_CHANGE_CATEGORY = 'identityRoleChange';

// Fixed namespace for email stream ids: changing it would orphan every reservation.
const EMAIL_NAMESPACE = 'b5f0b8a4-3c3e-4c55-9a8f-0d7f7b1b6e42';
// Fixed namespace for handle stream ids, for the same reason.
const HANDLE_NAMESPACE = 'e2a7c4f9-6b1d-4c83-9f05-3a8d1e6b7c42';

/** RFC 5321 caps a forward path at 256 octets including the brackets. */
export const MAX_EMAIL_LENGTH = 254;
/** bcrypt reads only the first 72 bytes of a password. */
export const MIN_PASSWORD_BYTES = 8;
export const MAX_PASSWORD_BYTES = 72;
/**
 * The byte limit as a person counts: plain letters, digits and punctuation are a byte each in
 * UTF-8; accented letters take two, most other scripts three, emoji four.
 */
export const PASSWORD_LENGTH_WORDS = `up to ${MAX_PASSWORD_BYTES} plain letters, digits and punctuation marks (an accented letter counts as two, an emoji as four)`;

/** Trimmed and lower-cased: the one spelling of an address that the whole site compares. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const emailSchema = z.email().max(MAX_EMAIL_LENGTH);
// A bcrypt hash ($2a$/$2b$/$2y$, cost, 53 characters of salt and digest): nothing else is stored as one.
/** The SHA-256 (hex) of an account link's token: what a command carries in place of the token. */
const tokenHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'not a SHA-256 in hex');
export const passwordHashSchema = z.string().regex(/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/, 'not a bcrypt hash');

/** Who asked for a role change, as a person would read it in an audit ("cli:alice@host"). */
const actorSchema = z.string().min(1).max(200);
/**
 * A role command names its user in one of two shapes: since crypto-shredding, by `userId` with the
 * address the operator typed sealed with that user's key (so erasing the user makes it unreadable);
 * before, by a plain `email`, still decided the same way when such a command is read.
 */
const roleCommandSchema = z.union([
  z.strictObject({ commandId: z.uuid(), userId: z.uuid(), email: sealedSchema, by: actorSchema }),
  z.strictObject({ commandId: z.uuid(), email: emailSchema, by: actorSchema }),
]);

/**
 * A display name and a handle travel sealed with the user's key, always (they came after
 * crypto-shredding): the component opens them and checks them against ./profile-rules.ts.
 */
const profileFields = { displayName: sealedSchema, handle: sealedSchema };

export const identityCommandSchemas = {
  /**
   * email and passwordHash: plain before crypto-shredding landed, sealed with the user's key since.
   * displayName and handle: absent from Registers sent before names existed (the user gets a
   * generated handle, profile-rules.ts).
   */
  Register: z.object({
    userId: z.uuid(),
    email: personalField(emailSchema),
    passwordHash: personalField(passwordHashSchema),
    displayName: sealedSchema.optional(),
    handle: sealedSchema.optional(),
  }),
  /** On identity:command-<userId>: the user's new display name and handle (either may be the one they have). */
  ChangeProfile: z.object({ userId: z.uuid(), ...profileFields }),
  /** On identity:command-<commandId>: the user as an operator knows them, by the address they registered with. */
  GrantAdminRole: roleCommandSchema,
  RevokeAdminRole: roleCommandSchema,
  /**
   * On identity:command-<userId>: send the welcome email again, as the user asked (a few times a
   * day, never while one is on its way) or as the admin `byAdmin` did (any time).
   */
  ResendRegistrationEmail: z.object({ userId: z.uuid(), byAdmin: z.uuid().optional() }),
  /**
   * On identity:command-<requestId>: email the user a password-reset link for this request. The
   * web app writes it only for an address it found; nothing in it names the address.
   */
  RequestPasswordReset: z.object({ userId: z.uuid(), requestId: z.uuid() }),
  /**
   * On identity:command-<commandId>: set the password through the link of `requestId`. `tokenHash`
   * is the SHA-256 of the link's token (src/account-links), never the token; the new bcrypt hash
   * is sealed with the user's key.
   */
  ResetPassword: z.object({
    userId: z.uuid(),
    requestId: z.uuid(),
    tokenHash: tokenHashSchema,
    passwordHash: personalField(passwordHashSchema),
  }),
  /** On identity:command-<commandId>: the logged-in user changed their password (the web app checked the current one). */
  ChangePassword: z.object({ userId: z.uuid(), passwordHash: personalField(passwordHashSchema) }),
  /**
   * On identity:command-<userId>: the holder of a verification link asks to verify. `tokenHash` is
   * the SHA-256 of the link's token (src/account-links), never the token itself.
   */
  VerifyEmail: z.object({ userId: z.uuid(), requestId: z.uuid(), tokenHash: tokenHashSchema }),
  /**
   * On identity:command-<userId>: the user (who typed their current password, checked by the page)
   * asks to move their account to `email`, sealed with their key. Switches only once verified.
   */
  ChangeEmail: z.object({ userId: z.uuid(), email: personalField(emailSchema) }),
} as const;

export const identityEventSchemas = {
  Registered: z.object({
    userId: z.uuid(),
    email: personalField(emailSchema),
    passwordHash: personalField(passwordHashSchema),
    /** Absent for users registered before names existed. */
    displayName: sealedSchema.optional(),
    handle: sealedSchema.optional(),
  }),
  RegistrationRejected: z.object({
    userId: z.uuid(),
    email: personalField(z.string().max(MAX_EMAIL_LENGTH)),
    reason: z.string(),
  }),
  RegistrationEmailSent: z.object({ userId: z.uuid(), emailId: z.uuid() }),
  RegistrationEmailFailed: z.object({ userId: z.uuid(), emailId: z.uuid(), reason: z.string() }),
  /** send-email could not deliver it yet and tries again at `nextAttemptAt` (ISO 8601, UTC). */
  RegistrationEmailDeferred: z.object({
    userId: z.uuid(),
    emailId: z.uuid(),
    attempts: z.number().int().positive(),
    reason: z.string(),
    nextAttemptAt: z.iso.datetime(),
  }),
  /** A new welcome email, asked for by ResendRegistrationEmail; `byAdmin` when an admin asked. */
  RegistrationEmailRequested: z.object({ userId: z.uuid(), emailId: z.uuid(), byAdmin: z.uuid().optional() }),
  RegistrationEmailResendRefused: z.object({ userId: z.uuid(), reason: z.string() }),
  AdminRoleGranted: z.object({ userId: z.uuid(), by: z.string().min(1) }),
  AdminRoleRevoked: z.object({ userId: z.uuid(), by: z.string().min(1) }),
  /** A reset link for `requestId` was sent; it works once, for PASSWORD_RESET_LIFETIME_MS after this event's time, until a newer request. */
  PasswordResetRequested: z.object({ userId: z.uuid(), requestId: z.uuid() }),
  /** A ResetPassword was refused: `reason` is one of PASSWORD_RESET_REFUSALS. */
  PasswordResetRefused: z.object({ userId: z.uuid(), requestId: z.uuid(), reason: z.string() }),
  /**
   * The password is now `passwordHash` (sealed): by a reset link (`requestId` names it) or changed
   * on the account page. Every session started before it ends (user_credentials.password_version).
   */
  PasswordChanged: z.object({
    userId: z.uuid(),
    passwordHash: personalField(passwordHashSchema),
    how: z.enum(['reset', 'changed']),
    requestId: z.uuid().optional(),
  }),
  /**
   * A verification link for a newly asked address: the address is reserved for the user (as at
   * registration) and switches in when the link is used. `requestId` names the link. A newer one
   * voids it, and releases its reservation unless the address is the user's again.
   */
  EmailChangeRequested: z.object({ userId: z.uuid(), requestId: z.uuid(), email: personalField(emailSchema) }),
  /** ChangeEmail refused: the address is someone else's, already the user's, or the user is gone. Nothing switched. */
  EmailChangeRefused: z.object({ userId: z.uuid(), reason: z.string() }),
  /** The welcome email's link (`requestId` = its email id) was used: the registered address is verified. */
  EmailVerified: z.object({ userId: z.uuid(), requestId: z.uuid() }),
  /** An email change's link was used: the account's address is now `email` (verified); `previousEmail` is released. */
  EmailChanged: z.object({
    userId: z.uuid(),
    requestId: z.uuid(),
    email: personalField(emailSchema),
    previousEmail: personalField(emailSchema),
  }),
  /** A VerifyEmail that did nothing, and why (VERIFICATION_REFUSALS). */
  EmailVerificationRefused: z.object({ userId: z.uuid(), requestId: z.uuid(), reason: z.string() }),
  DisplayNameChanged: z.object({ userId: z.uuid(), displayName: sealedSchema }),
  /** `previous`: the handle given up (a generated one, or one whose HandleReleased follows). */
  HandleChanged: z.object({ userId: z.uuid(), handle: sealedSchema, previous: sealedSchema }),
  ProfileChangeRejected: z.object({ userId: z.uuid(), reason: z.string() }),
  /** The user's key was deleted: their sealed fields no longer open. `by` is the admin's user id, or the user's own when they deleted their account. */
  UserErased: z.object({ userId: z.uuid(), by: z.string().min(1) }),
} as const;

export const identityEmailSchemas = {
  EmailReserved: z.object({ email: personalField(emailSchema), userId: z.uuid() }),
  /**
   * The holder was erased, moved to another address (EmailChanged), or abandoned an email change
   * to it: the next EmailReserved on this stream claims the address again. */
  EmailReleased: z.object({ userId: z.uuid() }),
} as const;

export const identityHandleSchemas = {
  HandleReserved: z.object({ handle: sealedSchema, userId: z.uuid() }),
  /** The holder moved to another handle, was refused registration, or was erased: the next HandleReserved claims it. */
  HandleReleased: z.object({ userId: z.uuid() }),
} as const;

/** The one role there is; granted and revoked by role commands, kept in user_credentials.roles. */
export const ADMIN_ROLE = 'admin';

export const roleChangeSchema = z.enum(['grant', 'revoke']);
export type RoleChange = z.infer<typeof roleChangeSchema>;

export const identityRoleChangeSchemas = {
  /**
   * `alreadyInEffect`: the user already was (or was not) an admin, so no role event was written.
   * `email`: only in outcomes of plain-email commands from before sealing; the sender knows the address.
   */
  AdminRoleChangeCompleted: z.object({
    commandId: z.uuid(),
    userId: z.uuid(),
    email: emailSchema.optional(),
    change: roleChangeSchema,
    alreadyInEffect: z.boolean(),
  }),
  /** Names the user as the command did: `userId` (sealed commands) or a plain `email` (older ones). */
  AdminRoleChangeRejected: z.object({
    commandId: z.uuid(),
    userId: z.uuid().optional(),
    email: z.string().max(MAX_EMAIL_LENGTH).optional(),
    change: roleChangeSchema,
    reason: z.string(),
  }),
} as const;

export type IdentityCommand = MessagesOf<typeof identityCommandSchemas>;
export type IdentityEvent = MessagesOf<typeof identityEventSchemas>;
export type IdentityEmailEvent = MessagesOf<typeof identityEmailSchemas>;
export type IdentityHandleEvent = MessagesOf<typeof identityHandleSchemas>;
export type IdentityRoleChangeEvent = MessagesOf<typeof identityRoleChangeSchemas>;

/** Reasons a command is rejected, as shown to whoever sent it (the person registering, an operator). */
export const REJECTION_REASONS = {
  emailTaken: 'email already registered',
  /** Register and ChangeProfile: another user holds the handle. */
  handleTaken: 'handle already taken',
  /** Register and ChangeProfile: a display name or handle that breaks profile-rules.ts once opened. */
  invalidProfile: 'display name or handle not allowed',
  /** ChangeProfile: the name and handle are the ones the user has. */
  profileUnchanged: 'nothing to change',
  /** ChangeProfile (and resend): the user is not registered, or is erased. */
  profileNotRegistered: 'the account is not registered',
  /** For role commands: no user has registered with the address given. */
  unknownEmail: 'no registered user has that email',
  /** For role commands naming a user id: that user is not registered with the address sealed in the command (or is erased). */
  notRegistered: 'that user is not registered with that email',
  /** ChangeEmail to the address the account already has. */
  sameEmail: 'that is already the account’s address',
  /** ChangeEmail or VerifyEmail for an account that is erased or was never registered. */
  noAccount: 'there is no such account',
} as const;

/** How long a verification link works, from the request that made it. */
export const VERIFICATION_LINK_LIFETIME_MS = 7 * 24 * 60 * 60_000;

/** Why a VerifyEmail did nothing (EmailVerificationRefused's reason), as pages tell it apart. */
export const VERIFICATION_REFUSALS = {
  /** The token is not this request's (a forged or damaged link). */
  invalid: 'invalid link',
  /** A newer link was sent since (or the request is not this user's at all). */
  superseded: 'a newer link was sent',
  used: 'link already used',
  expired: 'link expired',
  /** The user is erased or was never registered. */
  noAccount: 'no such account',
  /** An email change's address was taken by someone else once its reservation expired. */
  taken: 'the address was taken meanwhile',
} as const;

/** How long a password-reset link works, from its request's time. */
export const PASSWORD_RESET_LIFETIME_MS = 60 * 60_000;

/** Why a reset link does not work (PasswordResetRefused's reason; the link page says each in its words). */
export const PASSWORD_RESET_REFUSALS = {
  /** No request by that id for that user, or the token is not the request's (mistyped or altered). */
  unknown: 'the link is not valid',
  expired: 'the link has expired',
  used: 'the link was used already',
  /** A newer request was made: only the newest link works. */
  voided: 'a newer link was sent',
  /** The password or the address changed after the link was sent: the link went with the old ones. */
  accountChanged: 'the account changed since the link was sent',
  erased: 'the account was erased',
} as const;
export type PasswordResetRefusal = (typeof PASSWORD_RESET_REFUSALS)[keyof typeof PASSWORD_RESET_REFUSALS];

export const identityStreamName = (userId: string): string => streamName(IDENTITY_CATEGORY, userId);
export const identityCommandStreamName = (id: string): string => streamName(IDENTITY_COMMAND_CATEGORY, id);
export const identityEmailStreamName = (email: string): string =>
  streamName(IDENTITY_EMAIL_CATEGORY, uuidV5(normaliseEmail(email), EMAIL_NAMESPACE));
export const identityHandleStreamName = (handle: string): string =>
  streamName(IDENTITY_HANDLE_CATEGORY, uuidV5(handle.toLowerCase(), HANDLE_NAMESPACE));
export const identityRoleChangeStreamName = (commandId: string): string =>
  streamName(IDENTITY_ROLE_CHANGE_CATEGORY, commandId);
