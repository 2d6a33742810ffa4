import { TRACE_ID_EXPRESSION } from '../message-store/index.ts';

/** What an export reads: a condition over `messages` with placeholders from $1, and its values. */
export interface ExportCondition {
  readonly condition: string;
  readonly values: readonly unknown[];
}

// The id of a stream (after the first dash, before any +): identity-<id>, viewing-<id>+….
const STREAM_ID = `split_part(substr(stream_name, strpos(stream_name, '-') + 1), '+', 1)`;

/** Every message in a stream whose id is the user's, and every message whose metadata names them. */
export const userCondition = (userId: string): ExportCondition => ({
  condition: `${STREAM_ID} = $1 OR metadata->>'userId' = $1`,
  values: [userId],
});

/** Every message in a stream whose id is the video's. */
export const videoCondition = (videoId: string): ExportCondition => ({
  condition: `${STREAM_ID} = $1`,
  values: [videoId],
});

/** Every message of one trace, by the trace-id index. */
export const traceCondition = (traceId: string): ExportCondition => ({
  condition: `${TRACE_ID_EXPRESSION} = $1`,
  values: [traceId],
});

/** A category, at or after `from` and before `to` by the messages' own times (UTC). */
export function categoryCondition(category: string, range: { from?: Date; to?: Date }): ExportCondition {
  const values: unknown[] = [category];
  let condition = 'category(stream_name) = $1';
  if (range.from)
    condition += ` AND time >= ($${values.push(range.from.toISOString())}::timestamptz AT TIME ZONE 'UTC')`;
  if (range.to) condition += ` AND time < ($${values.push(range.to.toISOString())}::timestamptz AT TIME ZONE 'UTC')`;
  return { condition, values };
}
