import { MessageDataError } from './errors.ts';
import type { RawMessage } from './types.ts';

/** Turns the data of one version into the data of the next. Input is unchecked: the contract checks the result. */
export type Upcaster = (data: unknown) => unknown;

/** How one message type's data shape has changed: its current version and a step out of each older one. */
export interface Evolution {
  readonly type: string;
  /** What writers write now, a whole number as a string ('2'). */
  readonly current: string;
  /** Keyed by the version a step starts from: '1' → data of version 2, and so on. */
  readonly steps: Readonly<Record<string, Upcaster>>;
}

export interface VersionRegistry {
  /** The version a writer of `type` writes today; '1' for a type that never changed. */
  currentVersion(type: string): string;
  /**
   * The message with its data brought to the current version of its type. A version newer than
   * this code knows (a later release wrote it) or one that is not a number breaks the contract
   * like bad data does: MessageDataError, so an aggregator skips it and a component parks it.
   */
  upcast(message: RawMessage): RawMessage;
}

const INITIAL = '1';
const VERSION = /^[1-9][0-9]{0,8}$/;

function versionNumber(version: string): number | undefined {
  return VERSION.test(version) ? Number(version) : undefined;
}

/** Checks that each type has one evolution and a step out of every version before its current one. */
function validated(evolutions: readonly Evolution[]): Map<string, Evolution & { readonly currentNumber: number }> {
  const byType = new Map<string, Evolution & { readonly currentNumber: number }>();
  for (const evolution of evolutions) {
    const currentNumber = versionNumber(evolution.current);
    if (currentNumber === undefined)
      throw new Error(`${evolution.type}: current version ${JSON.stringify(evolution.current)} is not a whole number`);
    if (byType.has(evolution.type)) throw new Error(`${evolution.type}: more than one evolution`);
    for (let from = 1; from < currentNumber; from += 1) {
      if (!Object.hasOwn(evolution.steps, String(from)))
        throw new Error(`${evolution.type}: no step from version ${from}`);
    }
    for (const from of Object.keys(evolution.steps)) {
      const number = versionNumber(from);
      if (number === undefined || number >= currentNumber)
        throw new Error(`${evolution.type}: a step from version ${from}, which is not before ${evolution.current}`);
    }
    byType.set(evolution.type, { ...evolution, currentNumber });
  }
  return byType;
}

export function createVersionRegistry(evolutions: readonly Evolution[]): VersionRegistry {
  const byType = validated(evolutions);
  return {
    currentVersion: (type) => byType.get(type)?.current ?? INITIAL,
    upcast(message) {
      const evolution = byType.get(message.type);
      const current = evolution?.currentNumber ?? 1;
      // Messages written before versions were stamped are the first version.
      const written = message.metadata.schemaVersion ?? INITIAL;
      const from = versionNumber(written);
      if (from === undefined)
        throw new MessageDataError(
          message.id,
          message.type,
          `schemaVersion ${JSON.stringify(written)} is not a version`,
        );
      if (from > current) {
        throw new MessageDataError(
          message.id,
          message.type,
          `schemaVersion ${written} is newer than this code reads (${current}); a later release wrote it`,
        );
      }
      if (!evolution || from === current) return message;
      let data = message.data;
      for (let version = from; version < current; version += 1) data = evolution.steps[String(version)]!(data);
      return { ...message, data, metadata: { ...message.metadata, schemaVersion: evolution.current } };
    },
  };
}
