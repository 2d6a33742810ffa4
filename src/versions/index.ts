import { createVersionRegistry } from './registry.ts';
import { videoViewedEvolution } from './video-viewed.ts';

/**
 * Every message type whose data shape has changed, with the step out of each older version.
 * A type not listed here is at version '1'. The store stamps the current version on each write
 * (write.ts) and parseMessage brings older data up to it before the contract checks it, so a
 * reader only ever sees the current shape. Kept here rather than in each owner's contract.ts
 * because the store needs the table and the contracts import the store. Add an evolution by
 * raising its `current`, adding the step, and listing it here.
 */
export const messageVersions = createVersionRegistry([videoViewedEvolution]);

export { createVersionRegistry, type Evolution, type Upcaster, type VersionRegistry } from './registry.ts';
