import { v5 as uuidV5 } from 'uuid';

/**
 * A message id derived from a name (uuid v5 in `namespace`): whoever writes the same message
 * again builds the same id, and Message DB's unique id keeps only the first. For writers that
 * must not import the uuid package themselves (the app's slices check UUIDs through contracts).
 */
export function derivedMessageId(namespace: string, name: string): string {
  return uuidV5(name, namespace);
}
