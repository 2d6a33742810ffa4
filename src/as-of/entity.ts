import type { RawMessage } from '../message-store/index.ts';

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

/** A kind of entity the as-of page can show: which streams tell it, and how they fold. */
export interface EntityKind {
  readonly kind: string;
  readonly label: string;
  readonly streams: (id: string) => readonly string[];
  readonly fold: (messages: readonly RawMessage[]) => EntityState;
}

export const utc = (time: Date): string => `${time.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
