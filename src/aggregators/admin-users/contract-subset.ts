import type { Schemas } from '../../message-store/index.ts';

/**
 * The schemas of the types a projection reads. Only these are checked against the contract: a
 * broken message of another type is none of this projection's business to skip.
 */
export function schemasOf<S extends Schemas, K extends keyof S & string>(schemas: S, types: readonly K[]): Pick<S, K> {
  return Object.fromEntries(types.map((type) => [type, schemas[type]])) as Pick<S, K>;
}

/** Ascending, as every writer of admin_users locks its rows, so two subscribers never deadlock. */
export function byUserId<T extends { readonly userId: string }>(a: T, b: T): number {
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}
