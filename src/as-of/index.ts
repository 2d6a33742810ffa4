export {
  changesBetween,
  entityAsOf,
  ENTITY_KINDS,
  MAX_LISTED,
  messagesBetween,
  type Change,
  type EntityAsOf,
  type MessageSummary,
  type Snapshot,
} from './as-of.ts';
export { catalogCountsAsOf, type CatalogCounts } from '../message-queries/catalog-as-of.ts';
export { utc, type EntityKind, type EntityState, type Field, type FoldRules } from './entity.ts';
export { describePoint, parsePoint, type Point } from './point.ts';
