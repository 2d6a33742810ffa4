import { createVersionRegistry, type VersionRegistry } from '../message-store/index.ts';
import { viewingEvolutions } from './viewing.ts';

/**
 * Every message type whose data shape has changed, with the step out of each older version,
 * gathered from the contracts that own them. A type not listed here is at version '1'. The store
 * is handed this table when it is made (src/system.ts) and stamps the current version on each
 * write; parseMessage (./parse.ts) brings older data up to it before the contract checks it, so
 * a reader only ever sees the current shape. Add an evolution in its owner's contract by raising
 * its `current` and adding the step; list the owner's evolutions here once.
 */
export const messageVersions: VersionRegistry = createVersionRegistry([...viewingEvolutions]);
