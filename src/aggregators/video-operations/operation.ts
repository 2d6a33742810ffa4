import { z } from 'zod';
import { MessageDataError, type RawMessage } from '../../message-store/index.ts';

export type OperationKind = 'publish' | 'name' | 'describe' | 'unpublish' | 'visibility' | 'delete' | 'poster';
export type OperationStatus = 'pending' | 'done' | 'failed';

/** A row of video_operations, as both subscribers write it. */
export interface OperationRow {
  readonly trace_id: string;
  readonly video_id: string;
  readonly user_id: string;
  readonly kind: OperationKind;
  readonly status: OperationStatus;
  readonly reason: string | null;
  readonly updated_at: Date;
}

// trace_id and user_id are uuid columns: the portal's traces are uuids, and so are user ids.
const operationMetadata = z.object({ traceId: z.uuid(), userId: z.uuid() });

/**
 * Who asked and which action this message belongs to, from its metadata; throws
 * MessageDataError when either is missing or not a uuid (the engine records the skip).
 */
export function traceOf(message: RawMessage): { traceId: string; userId: string } {
  const parsed = operationMetadata.safeParse(message.metadata);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `metadata.${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new MessageDataError(message.id, message.type, problems);
  }
  return { traceId: parsed.data.traceId.toLowerCase(), userId: parsed.data.userId.toLowerCase() };
}

/**
 * Rows keyed by operation (trace and kind: an upload's PublishVideo, NameVideo and DescribeVideo
 * share its trace), the first of each kept: one statement may not touch a row twice.
 */
export function firstPerOperation(rows: readonly OperationRow[]): OperationRow[] {
  const kept = new Map<string, OperationRow>();
  for (const row of rows) {
    const key = `${row.trace_id}/${row.kind}`;
    if (!kept.has(key)) kept.set(key, row);
  }
  // In key order, so two subscribers writing the same rows lock them in one order.
  const keyOf = (row: OperationRow) => `${row.trace_id}/${row.kind}`;
  return [...kept.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}
