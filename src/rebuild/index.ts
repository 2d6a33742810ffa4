export {
  pickProjections,
  PROJECTION_NAMES,
  rebuildableProjections,
  type ProjectionName,
  type RebuildableProjection,
} from './registry.ts';
export { runRebuild, startRebuild, type Requester, type StartedRebuild } from './run.ts';
export { RebuildAbortedError, type RebuildReport, type RebuildResult } from './rebuild.ts';
export { estimatedEnd, isStale, readProgress, RebuildRunningError, type RebuildProgress } from './progress.ts';
