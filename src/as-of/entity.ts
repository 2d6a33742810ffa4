import { MessageDataError, type RawMessage } from '../message-store/index.ts';

/** One line of an entity's state as an operator reads it. */
export interface Field {
  readonly label: string;
  readonly value: string;
}

export interface EntityState {
  /** False until the entity's first event (a user before registering, a video before its upload). */
  readonly exists: boolean;
  readonly fields: readonly Field[];
  /** Messages whose data broke their contract: left out of the fold, as the site's readers leave them out. */
  readonly unreadable: number;
}

/** Settings a fold follows as the site's projections do. */
export interface FoldRules {
  /** One viewing per visitor and video counts per this window (VIEWING_COUNT_WINDOW_MINUTES). */
  readonly viewingCountWindowMs: number;
}

/** A kind of entity the as-of page can show: which streams tell it, and how they fold. */
export interface EntityKind {
  readonly kind: string;
  readonly label: string;
  readonly streams: (id: string) => readonly string[];
  /** Without rules, the site's defaults. */
  readonly fold: (messages: readonly RawMessage[], rules?: FoldRules) => EntityState;
}

export const utc = (time: Date): string => `${time.toISOString().replace('T', ' ').slice(0, 19)} UTC`;

/**
 * Folds `messages` into a state, counting rather than failing on messages whose data breaks
 * their contract: an as-of view shows what it can, and says how much it could not read.
 */
export function foldReadable<State>(
  initial: State,
  apply: (state: State, message: RawMessage) => State,
  messages: readonly RawMessage[],
): { state: State; unreadable: number } {
  let state = initial;
  let unreadable = 0;
  for (const message of messages) {
    try {
      state = apply(state, message);
    } catch (error) {
      if (!(error instanceof MessageDataError)) throw error;
      unreadable += 1;
    }
  }
  return { state, unreadable };
}
